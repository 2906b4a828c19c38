/* events: written in its own step. */
"use strict";
