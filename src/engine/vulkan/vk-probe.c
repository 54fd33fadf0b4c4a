/* SPDX-License-Identifier: MIT */
/* The devices listed in a child process, and whether there is a GPU to run
 * on. Loading the Vulkan drivers maps them for the rest of the process's
 * life (lavapipe's libLLVM is linked never to be unloaded: 44 MB of it
 * stays resident), a cost neither the auto backend nor the hardware page
 * has reason to pay on a machine whose only Vulkan device is the CPU. A
 * driver that crashes or hangs while listing its devices takes the child
 * with it, not the caller. The child is bendi-vulkan-probe; it answers on
 * its standard output with a byte, 1 where it listed the devices, then
 * their count (u32) and each device as bendi_vk_device_info_write () puts
 * it; 0 where it could not, then the error's code (i32), the length of
 * its message (u32) and the message. */
#include "vulkan/vk-device.h"

#include "engine-error.h"
#include "vulkan/vk-loader.h"
#include "vulkan/vk-private.h"
#include "vk-probe-paths.h"

#ifdef G_OS_UNIX
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

/* Listing lavapipe's device takes a tenth of a second; a driver that takes
 * this long is stuck. */
#define PROBE_TIMEOUT_MS 30000
/* Far above any real answer (a device is under 1 KB of it). */
#define ANSWER_MAX (4 << 20)

typedef enum {
  CHILD_LISTED,      /* the list */
  CHILD_NO_VULKAN,   /* the child's error: no loader, or none usable */
  CHILD_BROKEN,      /* the driver crashed or hung the child */
  CHILD_NOT_RUN,     /* no program to run, or the drivers are loaded here already */
} ChildOutcome;

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
void
bendi_vk_probe_answer (int fd)
{
  GError *error = NULL;
  GPtrArray *infos = bendi_vk_list_devices (&error);
  GByteArray *message = g_byte_array_new ();
  guint8 listed = infos != NULL;
  gsize done = 0;

  g_byte_array_append (message, &listed, 1);
  if (infos != NULL)
    {
      guint32 n = infos->len;

      g_byte_array_append (message, (const guint8 *) &n, sizeof n);
      for (guint i = 0; i < infos->len; i++)
        bendi_vk_device_info_write (g_ptr_array_index (infos, i), message);
    }
  else
    {
      gint32 code = error->domain == BENDI_ENGINE_ERROR ? error->code : BENDI_ENGINE_ERROR_UNSUPPORTED;
      guint32 length = (guint32) MIN (strlen (error->message), 65536);

      g_byte_array_append (message, (const guint8 *) &code, sizeof code);
      g_byte_array_append (message, (const guint8 *) &length, sizeof length);
      g_byte_array_append (message, (const guint8 *) error->message, length);
    }
  while (done < message->len)
    {
      ssize_t n = write (fd, message->data + done, message->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  g_byte_array_unref (message);
  g_clear_pointer (&infos, g_ptr_array_unref);
  g_clear_error (&error);
}

/* Reads the child's answer until it closes its end, it has taken
 * PROBE_TIMEOUT_MS (*timed_out), or ANSWER_MAX bytes have come. */
static GBytes *
read_answer (int       fd,
             gboolean *timed_out)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) PROBE_TIMEOUT_MS * 1000;
  GByteArray *answer = g_byte_array_new ();
  guint8 chunk[16384];

  *timed_out = FALSE;
  while (answer->len < ANSWER_MAX)
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
      n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      g_byte_array_append (answer, chunk, (guint) n);
    }
  return g_byte_array_free_to_bytes (answer);
}

/* The child's answer as *infos, or as @error (NO_VULKAN's error, or why
 * the child's answer could not be read). */
static ChildOutcome
parse_answer (GBytes     *answer,
              GPtrArray **infos,
              GError    **error)
{
  gsize left;
  const guint8 *bytes = g_bytes_get_data (answer, &left);
  guint8 listed;
  guint32 n, length;
  gint32 code;

  if (left < 1 + sizeof n)
    goto unreadable;
  listed = *bytes++;
  left--;
  if (!listed)
    {
      if (left < sizeof code + sizeof length)
        goto unreadable;
      memcpy (&code, bytes, sizeof code);
      memcpy (&length, bytes + sizeof code, sizeof length);
      if (left - sizeof code - sizeof length != length)
        goto unreadable;
      g_set_error (error, BENDI_ENGINE_ERROR, code, "%.*s", (int) length,
                   (const char *) bytes + sizeof code + sizeof length);
      return CHILD_NO_VULKAN;
    }
  memcpy (&n, bytes, sizeof n);
  bytes += sizeof n;
  left -= sizeof n;
  *infos = g_ptr_array_new_with_free_func ((GDestroyNotify) bendi_vk_device_info_free);
  for (guint32 i = 0; i < n; i++)
    {
      BendiVkDeviceInfo *info = bendi_vk_device_info_read (&bytes, &left);

      if (info == NULL)
        break;
      g_ptr_array_add (*infos, info);
    }
  if ((*infos)->len == n && left == 0)
    return CHILD_LISTED;
  g_clear_pointer (infos, g_ptr_array_unref);

unreadable:
  g_set_error_literal (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                       "Listing the Vulkan devices gave an answer that could not be read");
  return CHILD_BROKEN;
}

/* The program that lists the devices (bendi-vulkan-probe): where
 * BENDI_VULKAN_PROBE says, else the build tree's, else the installed one;
 * NULL where there is none. */
static const char *
probe_program (void)
{
  const char *named = g_getenv ("BENDI_VULKAN_PROBE");

  if (named != NULL && *named != '\0')
    return named;
  if (g_file_test (BENDI_VULKAN_PROBE_BUILT, G_FILE_TEST_IS_EXECUTABLE))
    return BENDI_VULKAN_PROBE_BUILT;
  if (g_file_test (BENDI_VULKAN_PROBE_INSTALLED, G_FILE_TEST_IS_EXECUTABLE))
    return BENDI_VULKAN_PROBE_INSTALLED;
  return NULL;
}

/* Starts bendi-vulkan-probe, its answer to come through *@out_fd. A
 * program run with exec, not a bare fork of this process: the child of a
 * threaded process (the app) inherits every lock another thread held at
 * that moment and can wait on it for ever (seen: a forked listing stuck in
 * a futex until the timeout). */
static gboolean
start_child (pid_t *pid,
             int   *out_fd)
{
  const char *program = probe_program ();
  const char *argv[] = { program, NULL };
  g_autoptr (GError) error = NULL;
  GPid child;

  if (program == NULL)
    return FALSE;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES,
                                 NULL, NULL, &child, NULL, out_fd, NULL, &error))
    {
      g_debug ("Could not run %s: %s", program, error->message);
      return FALSE;
    }
  *pid = child;
  return TRUE;
}
#endif

static ChildOutcome
list_in_child (GPtrArray **infos,
               GError    **error)
{
#ifdef G_OS_UNIX
  g_autoptr (GBytes) bytes = NULL;
  gboolean timed_out;
  int fd, status = 0;
  pid_t pid;

  *infos = NULL;
  /* Drivers this process has loaded already stay loaded: nothing to save.
   * Without the program the caller lists the devices itself. */
  if (bendi_vk_loader_is_open ())
    return CHILD_NOT_RUN;
  if (!start_child (&pid, &fd))
    return CHILD_NOT_RUN;
  bytes = read_answer (fd, &timed_out);
  close (fd);
  if (timed_out)
    kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (timed_out)
    {
      g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                   "Listing the Vulkan devices did not finish in %d s", PROBE_TIMEOUT_MS / 1000);
      return CHILD_BROKEN;
    }
  /* The driver took the child down (a sanitiser may turn the crash into
   * an exit). Listing here would take this process with it. */
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (WIFSIGNALED (status))
        g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                     "The Vulkan driver crashed while listing its devices (%s)", g_strsignal (WTERMSIG (status)));
      else
        g_set_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_UNSUPPORTED,
                     "Listing the Vulkan devices failed (exit status %d)",
                     WIFEXITED (status) ? WEXITSTATUS (status) : -1);
      return CHILD_BROKEN;
    }
  return parse_answer (bytes, infos, error);
#else
  (void) error;
  *infos = NULL;
  return CHILD_NOT_RUN;
#endif
}

BendiVkProbe
bendi_vk_probe_in_child (char **reason)
{
  g_autoptr (GPtrArray) infos = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (reason != NULL && *reason == NULL, BENDI_VK_PROBE_FAILED);

  switch (list_in_child (&infos, &error))
    {
    case CHILD_LISTED:
      return bendi_vk_probe_devices (infos);
    case CHILD_NO_VULKAN:
      *reason = g_strdup (error->message);
      return BENDI_VK_PROBE_NO_VULKAN;
    case CHILD_BROKEN:
      *reason = g_strdup (error->message);
      return BENDI_VK_PROBE_BROKEN;
    case CHILD_NOT_RUN:
    default:
      return BENDI_VK_PROBE_FAILED;
    }
}

GPtrArray *
bendi_vk_list_devices_in_child (GError **error)
{
  GPtrArray *infos = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (list_in_child (&infos, error) == CHILD_NOT_RUN)
    return bendi_vk_list_devices (error);
  return infos;
}
