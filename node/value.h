/*
 * value.h: a resource's value as the node's objects give it and its
 * encoders (node/senml.c) write it: a type and the one member it uses.
 */
#ifndef OUTPOST_NODE_VALUE_H
#define OUTPOST_NODE_VALUE_H

#include <stdint.h>

enum obj_type {
	OBJ_STRING,
	OBJ_INT,
	OBJ_FLOAT,
	OBJ_TIME,		/* unix seconds, an integer */
	OBJ_ABSENT,		/* the system does not give this value */
	OBJ_BOOL,		/* 0 or 1, in i */
	OBJ_OPAQUE,		/* len bytes of s */
};

#define OBJ_STR_MAX	256	/* bytes of a string value, with the NUL */

struct obj_value {
	enum obj_type	 type;
	int64_t		 i;		/* OBJ_INT, OBJ_TIME */
	double		 f;		/* OBJ_FLOAT */
	char		 s[OBJ_STR_MAX];	/* OBJ_STRING, OBJ_OPAQUE */
	uint16_t	 len;		/* OBJ_OPAQUE */
};

#endif /* OUTPOST_NODE_VALUE_H */
