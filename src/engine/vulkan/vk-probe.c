/* SPDX-License-Identifier: MIT */
/* Whether there is a GPU to run on, asked in a child process. Loading the
 * Vulkan drivers maps them for the rest of the process's life (lavapipe's
 * libLLVM is linked never to be unloaded: 44 MB of it stays resident), a
 * cost the auto backend has no reason to pay on a machine whose only
 * Vulkan device is the CPU, where it runs on the CPU path anyway. A driver
 * that crashes or hangs while listing its devices takes the child with it,
 * not the caller. */
#include "vulkan/vk-device.h"

#include "vulkan/vk-loader.h"

#ifdef G_OS_UNIX
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

/* Listing lavapipe's device takes a tenth of a second; a driver that takes
 * this long is stuck. */
#define PROBE_TIMEOUT_MS 30000
#define ANSWER_MAX 1024

BendiVkProbe
bendi_vk_probe_devices (GPtrArray *infos)
{
  BendiVkProbe found = BENDI_VK_PROBE_NO_DEVICE;

  for (guint i = 0; i < infos->len; i++)
    {
      const BendiVkDeviceInfo *info = g_ptr_array_index (infos, i);

      if (info->usable && info->type != BENDI_VK_DEVICE_TYPE_CPU)
        return BENDI_VK_PROBE_GPU;
      if (info->usable)
        found = BENDI_VK_PROBE_CPU_ONLY;
    }
  return found;
}

#ifdef G_OS_UNIX
/* In the child: the answer's code, then for BENDI_VK_PROBE_NO_VULKAN the
 * reason, through @fd; never returns. */
G_GNUC_NORETURN static void
answer (int fd)
{
  GError *error = NULL;
  GPtrArray *infos = bendi_vk_list_devices (&error);
  char message[ANSWER_MAX];
  gsize length, done = 0;

  message[0] = infos != NULL ? (char) bendi_vk_probe_devices (infos) : BENDI_VK_PROBE_NO_VULKAN;
  message[1] = '\0';
  if (infos == NULL)
    g_strlcpy (message + 1, error->message, sizeof message - 1);
  length = 1 + strlen (message + 1);
  while (done < length)
    {
      ssize_t n = write (fd, message + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  /* No exit handlers: they belong to the parent. */
  _exit (0);
}

/* Reads the child's answer into @buffer until it closes its end, it has
 * taken PROBE_TIMEOUT_MS (*timed_out), or @buffer is full; the bytes
 * read. */
static gsize
read_answer (int       fd,
             char     *buffer,
             gsize     size,
             gboolean *timed_out)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) PROBE_TIMEOUT_MS * 1000;
  gsize got = 0;

  *timed_out = FALSE;
  while (got < size)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      ssize_t n;
      int ready;

      *timed_out = left <= 0;
      if (*timed_out)
        break;
      ready = poll (&pfd, 1, (int) MAX (1, left / 1000));
      if (ready < 0 && errno == EINTR)
        continue;
      *timed_out = ready == 0;
      if (ready <= 0)
        break;
      n = read (fd, buffer + got, size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  return got;
}
#endif

BendiVkProbe
bendi_vk_probe_in_child (char **reason)
{
#ifdef G_OS_UNIX
  char buffer[ANSWER_MAX];
  gboolean timed_out;
  gsize got;
  int fds[2], status = 0;
  pid_t pid;

  g_return_val_if_fail (reason != NULL && *reason == NULL, BENDI_VK_PROBE_FAILED);

  /* Drivers this process has loaded already stay loaded: nothing to save. */
  if (bendi_vk_loader_is_open ())
    return BENDI_VK_PROBE_FAILED;
  if (pipe2 (fds, O_CLOEXEC) != 0)
    return BENDI_VK_PROBE_FAILED;
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return BENDI_VK_PROBE_FAILED;
    }
  if (pid == 0)
    {
      close (fds[0]);
      answer (fds[1]);
    }

  close (fds[1]);
  got = read_answer (fds[0], buffer, sizeof buffer - 1, &timed_out);
  close (fds[0]);
  if (timed_out)
    kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (timed_out)
    {
      *reason = g_strdup_printf ("Listing the Vulkan devices did not finish in %d s", PROBE_TIMEOUT_MS / 1000);
      return BENDI_VK_PROBE_BROKEN;
    }
  /* No answer: the driver took the child down (a sanitiser may turn the
   * crash into an exit). Listing here would take this process with it. */
  if (got == 0)
    {
      *reason = WIFSIGNALED (status)
                ? g_strdup_printf ("The Vulkan driver crashed while listing its devices (%s)",
                                   g_strsignal (WTERMSIG (status)))
                : g_strdup_printf ("Listing the Vulkan devices failed (exit status %d)",
                                   WIFEXITED (status) ? WEXITSTATUS (status) : -1);
      return BENDI_VK_PROBE_BROKEN;
    }
  buffer[got] = '\0';
  switch (buffer[0])
    {
    case BENDI_VK_PROBE_NO_VULKAN:
      *reason = g_strdup (buffer + 1);
      return BENDI_VK_PROBE_NO_VULKAN;
    case BENDI_VK_PROBE_NO_DEVICE:
    case BENDI_VK_PROBE_CPU_ONLY:
    case BENDI_VK_PROBE_GPU:
      return (BendiVkProbe) buffer[0];
    default:
      return BENDI_VK_PROBE_FAILED;
    }
#else
  (void) reason;
  return BENDI_VK_PROBE_FAILED;
#endif
}
