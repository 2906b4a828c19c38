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
 *
 * A command's stdout and stderr come back through a pipe, read on the
 * reactor, and are logged line by line ("firmware health: ...") so that
 * they reach the agent's stderr as before and its Event Log (nlog.c).
 * What a command wrote before it exited is read before its end is
 * reported, so a failure's lines are in the log before its result is.
 * A child that leaves the pipe open (a daemon it started) is read until
 * it closes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <event2/event.h>

#include "log.h"
#include "node/logring.h"
#include "node/node.h"

#define EXEC_KINDS	4

/* A command's output on its way to the log: the pipe and the line so
 * far. */
struct exec_out {
	struct exec_out	*next;
	struct node_exec *x;
	struct exec_job	*job;		/* whose output, until reaped */
	struct event	*ev;
	int		 fd;
	char		 what[24];
	size_t		 len;
	char		 line[LOGRING_LINE_MAX];
};

extern char **environ;

struct exec_job {
	pid_t		 pid;		/* 0: free, -1: about to start */
	char		 what[24];
	char		 cmd[NCONF_CMD_MAX];
	exec_done_cb	 done;		/* or NULL */
	void		*arg;
	struct exec_out	*out;		/* its output, or NULL */
	struct node_exec *x;
};

struct node_exec {
	struct node	*node;
	struct event	*ev_chld;
	struct exec_job	 jobs[EXEC_KINDS];
	struct exec_out	*outs;		/* pipes still open */
};

/* Logs the line so far, if any. */
static void
exec_out_line(struct exec_out *o)
{
	if (o->len > 0)
		log_info("%s: %.*s", o->what, (int)o->len, o->line);
	o->len = 0;
}

static void
exec_out_free(struct exec_out *o)
{
	struct exec_out **pp;

	for (pp = &o->x->outs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	if (o->job != NULL)
		o->job->out = NULL;
	exec_out_line(o);
	if (o->ev != NULL)
		event_free(o->ev);
	close(o->fd);
	free(o);
}

/*
 * Reads what the pipe holds now into lines. Returns 1 at its end (every
 * writer closed it, or it failed), else 0.
 */
static int
exec_out_read(struct exec_out *o)
{
	char buf[4096];
	ssize_t n;
	size_t i;

	for (;;) {
		if ((n = read(o->fd, buf, sizeof(buf))) == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] == '\n') {
				exec_out_line(o);
				continue;
			}
			if (o->len == sizeof(o->line))
				exec_out_line(o);	/* a long line, cut */
			o->line[o->len++] = buf[i];
		}
	}
}

static void
exec_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_out *o = arg;

	(void)fd;
	(void)what;
	if (exec_out_read(o))
		exec_out_free(o);
}

/* A pipe for a command's output, read on the reactor: its write end in
 * *wfd for the child (the caller closes it once the child has it), or -1
 * when none could be made (the command then writes to our own stderr). */
static struct exec_out *
exec_out_new(struct node_exec *x, const char *what, int *wfd)
{
	struct exec_out *o;
	int p[2];

	*wfd = -1;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		free(o);
		return NULL;
	}
	o->x = x;
	o->fd = p[0];
	snprintf(o->what, sizeof(o->what), "%s", what);
	if ((o->ev = event_new(x->node->base, p[0], EV_READ | EV_PERSIST,
	    exec_out_cb, o)) == NULL || event_add(o->ev, NULL) == -1) {
		if (o->ev != NULL)
			event_free(o->ev);
		close(p[0]);
		close(p[1]);
		free(o);
		return NULL;
	}
	/* The child's end blocks as a terminal would. */
	(void)fcntl(p[1], F_SETFL, 0);
	o->next = x->outs;
	x->outs = o;
	*wfd = p[1];
	return o;
}

static void
exec_reap(evutil_socket_t sig, short what, void *arg)
{
	struct node_exec *x = arg;
	struct exec_out *o;
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
			/* What it wrote goes to the log before its end is
			 * told; a pipe still held open is read on. */
			if ((o = x->jobs[i].out) != NULL) {
				o->job = NULL;
				x->jobs[i].out = NULL;
				if (exec_out_read(o))
					exec_out_free(o);
				else
					exec_out_line(o);
			}
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
	struct node_exec *x = job->x;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dflt;
	char *argv[] = { "sh", "-c", job->cmd, NULL };
	pid_t pid;
	int rc, wfd;

	(void)fd;
	(void)what;
	if ((job->out = exec_out_new(x, job->what, &wfd)) != NULL)
		job->out->job = job;
	sigemptyset(&none);
	sigfillset(&dflt);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (wfd != -1) {
		posix_spawn_file_actions_adddup2(&fa, wfd, 1);
		posix_spawn_file_actions_adddup2(&fa, wfd, 2);
	}
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (wfd != -1)
		close(wfd);
	if (rc != 0) {
		errno = rc;
		log_warn("%s: cannot run '%s'", job->what, job->cmd);
		if (job->out != NULL)
			exec_out_free(job->out);
		job->out = NULL;
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
	job->x = x;
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
	while (n->exec->outs != NULL)
		exec_out_free(n->exec->outs);
	if (n->exec->ev_chld != NULL)
		event_free(n->exec->ev_chld);
	free(n->exec);
	n->exec = NULL;
}
