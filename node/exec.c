/*
 * exec.c: the commands that executes run ([device] reboot_command and
 * factory_reset_command), without blocking the loop.
 *
 * A command starts after its execute has been answered (one loop turn
 * later), through posix_spawn of /bin/sh -c with stdin on /dev/null, no
 * descriptor of ours but stdout and stderr, and default signal handling.
 * Children are reaped on SIGCHLD through the reactor. While the command of
 * one kind runs, another execute of that kind starts nothing: a repeated
 * request must not reboot twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "log.h"
#include "node/node.h"

#define EXEC_KINDS	4

extern char **environ;

struct exec_job {
	pid_t		 pid;		/* 0: free, -1: about to start */
	char		 what[24];
	char		 cmd[NCONF_CMD_MAX];
	exec_done_cb	 done;		/* or NULL */
	void		*arg;
};

struct node_exec {
	struct node	*node;
	struct event	*ev_chld;
	struct exec_job	 jobs[EXEC_KINDS];
};

static void
exec_reap(evutil_socket_t sig, short what, void *arg)
{
	struct node_exec *x = arg;
	pid_t pid;
	int status;
	size_t i;

	(void)sig;
	(void)what;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < EXEC_KINDS; i++) {
			if (x->jobs[i].pid != pid)
				continue;
			if (WIFEXITED(status))
				log_info("%s: command exited with status %d",
				    x->jobs[i].what, WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				log_info("%s: command killed by signal %d",
				    x->jobs[i].what, WTERMSIG(status));
			x->jobs[i].pid = 0;
			if (x->jobs[i].done != NULL)
				x->jobs[i].done(WIFEXITED(status) ?
				    WEXITSTATUS(status) : -1, x->jobs[i].arg);
		}
	}
}

/* Starts a job (a loop turn after its execute was answered). */
static void
exec_spawn(evutil_socket_t fd, short what, void *arg)
{
	struct exec_job *job = arg;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *argv[] = { "sh", "-c", job->cmd, NULL };
	pid_t pid;
	int rc;

	(void)fd;
	(void)what;
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		log_warn("%s: cannot run '%s'", job->what, job->cmd);
		job->pid = 0;
		if (job->done != NULL)
			job->done(-1, job->arg);
		return;
	}
	job->pid = pid;
	log_info("%s: running '%s' (pid %d)", job->what, job->cmd, (int)pid);
}

void
exec_run(struct node *n, const char *what, const char *cmd)
{
	exec_run_cb(n, what, cmd, NULL, NULL);
}

int
exec_run_cb(struct node *n, const char *what, const char *cmd,
    exec_done_cb done, void *arg)
{
	struct node_exec *x = n->exec;
	struct timeval zero = { 0, 0 };
	struct exec_job *job = NULL;
	size_t i;

	for (i = 0; i < EXEC_KINDS; i++) {
		if (x->jobs[i].pid != 0 && strcmp(x->jobs[i].what, what) == 0) {
			log_info("%s: already running, not started again",
			    what);
			return -1;
		}
		if (x->jobs[i].pid == 0 && job == NULL)
			job = &x->jobs[i];
	}
	if (job == NULL) {
		log_warnx("%s: too many commands running", what);
		return -1;
	}
	job->pid = -1;
	snprintf(job->what, sizeof(job->what), "%s", what);
	snprintf(job->cmd, sizeof(job->cmd), "%s", cmd);
	job->done = done;
	job->arg = arg;
	if (event_base_once(n->base, -1, EV_TIMEOUT, exec_spawn, job,
	    &zero) == -1) {
		log_warnx("%s: cannot schedule the command", what);
		job->pid = 0;
		return -1;
	}
	return 0;
}

int
exec_init(struct node *n)
{
	struct node_exec *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	x->node = n;
	n->exec = x;
	if ((x->ev_chld = evsignal_new(n->base, SIGCHLD, exec_reap, x)) ==
	    NULL || evsignal_add(x->ev_chld, NULL) == -1)
		return -1;
	return 0;
}

void
exec_free(struct node *n)
{
	if (n->exec == NULL)
		return;
	if (n->exec->ev_chld != NULL)
		event_free(n->exec->ev_chld);
	free(n->exec);
	n->exec = NULL;
}
