/* SPDX-License-Identifier: MIT */
/* The API server under load on stories260K: 500 requests from 8 clients, then a soak of streaming, leaving and idle clients.
 * Every answer must be 200 or 429, the server must stay up, and file descriptors and resident memory must
 * come back to where they were. Throughput and time to first token are reported, never asserted.
 * BENDI_SERVER_SOAK_SECONDS sets the soak's length (default 8). */
#include <gio/gio.h>
#include <malloc.h>
#include <string.h>

#include "test-server-util.h"
#include "test-util.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static guint
count_open_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static gsize
resident_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line != NULL ? (gsize) g_ascii_strtoull (line + 6, NULL, 10) : 0;
}

/* Bytes malloc has handed out and not had back, all arenas: unlike resident
 * memory, fragmentation does not move it, so a leak shows plainly. */
static gsize
heap_in_use_kib (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return (info.uordblks + info.hblkhd) / 1024;
}

typedef struct {
  guint   status;
  double  first_token_seconds;   /* < 0: none seen */
  gboolean done;                 /* "[DONE]" arrived */
} StreamResult;

/* A streamed chat read as it comes; with @leave_early the client hangs up
 * after the first token. */
static StreamResult
stream_chat (guint16  port,
             guint    tag,
             gboolean leave_early)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GString) received = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *body = g_strdup_printf ("{\"messages\":[{\"role\":\"user\",\"content\":\"Tale %u\"}],"
                                           "\"max_tokens\":32,\"stream\":true}", tag);
  g_autofree char *request = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Connection: close\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                                              strlen (body), body);
  StreamResult result = { 0, -1.0, FALSE };
  gint64 start = g_get_monotonic_time ();
  char buffer[8192];
  gssize n;

  /* straight to the loopback server, whatever proxy the environment names */
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 120);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, strlen (request), NULL,
                             NULL, NULL);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer, sizeof buffer,
                                   NULL, NULL)) > 0)
    {
      const char *p;
      guint events = 0;

      g_string_append_len (received, buffer, n);
      if (result.status == 0 && g_str_has_prefix (received->str, "HTTP/1.1 "))
        result.status = (guint) g_ascii_strtoull (received->str + 9, NULL, 10);
      /* the first event is the role; the second carries the first token */
      for (p = received->str; (p = strstr (p, "data: ")) != NULL; p += 6)
        events++;
      if (events >= 2 && result.first_token_seconds < 0)
        {
          result.first_token_seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
          if (leave_early)
            break;
        }
    }
  result.done = strstr (received->str, "data: [DONE]") != NULL;
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return result;
}

typedef struct {
  guint16  port;
  guint    n_requests;     /* 0: until the deadline */
  gint64   deadline;
  gboolean leave_sometimes;
  guint    n_ok, n_busy, n_other, n_done, n_left;
  double   first_token_sum;
  guint    n_first_token;
} Client;

static gpointer
client_thread (gpointer data)
{
  Client *c = data;

  for (guint i = 0; c->n_requests > 0 ? i < c->n_requests : g_get_monotonic_time () < c->deadline; i++)
    {
      gboolean leave = c->leave_sometimes && i % 3 == 2;

      if (i % 2 == 0 && !leave)
        {
          g_autofree char *body = g_strdup_printf ("{\"messages\":[{\"role\":\"user\",\"content\":\"Tale %u\"}],"
                                                   "\"max_tokens\":24}", i);
          g_autoptr (TestResponse) r = test_http (c->port, "POST", "/v1/chat/completions", body, NULL);

          if (r->status == 200)
            c->n_ok++;
          else if (r->status == 429)
            c->n_busy++;
          else
            {
              g_printerr ("unexpected %u: %s\n", r->status, r->body->str);
              c->n_other++;
            }
          continue;
        }
      {
        StreamResult r = stream_chat (c->port, i, leave);

        if (r.status == 200)
          c->n_ok++;
        else if (r.status == 429)
          c->n_busy++;
        else
          {
            g_printerr ("unexpected stream status %u\n", r.status);
            c->n_other++;
          }
        if (r.status == 200 && r.first_token_seconds >= 0)
          {
            c->first_token_sum += r.first_token_seconds;
            c->n_first_token++;
          }
        if (leave)
          c->n_left++;
        else if (r.status == 200 && r.done)
          c->n_done++;
        else if (r.status == 200)
          c->n_other++;   /* a stream that ended without [DONE] */
      }
    }
  return NULL;
}

/* Connections that trickle half a request and leave, or say nothing. */
typedef struct {
  guint16 port;
  gint64  deadline;
} Idler;

static gpointer
idler_thread (gpointer data)
{
  Idler *idler = data;
  g_autoptr (GSocketClient) client = g_socket_client_new ();

  g_socket_client_set_enable_proxy (client, FALSE);
  for (guint i = 0; g_get_monotonic_time () < idler->deadline; i++)
    {
      g_autoptr (GSocketConnection) connection = g_socket_client_connect_to_host (client, "127.0.0.1", idler->port,
                                                                                    NULL, NULL);
      GOutputStream *out;

      g_assert_nonnull (connection);
      out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
      if (i % 2 == 0)
        {
          static const char partial[] = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";

          for (gsize k = 0; k < sizeof partial - 1 && g_get_monotonic_time () < idler->deadline; k += 8)
            {
              g_output_stream_write_all (out, partial + k, MIN (8, sizeof partial - 1 - k), NULL, NULL, NULL);
              g_usleep (100 * 1000);
            }
        }
      else
        g_usleep (500 * 1000);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  return NULL;
}

static void
run_clients (BendiServer *server,
             guint        n_clients,
             guint        n_requests,
             gint64       deadline,
             gboolean     leave_sometimes,
             Client      *total)
{
  Client *clients = g_new0 (Client, n_clients);
  GThread **threads = g_new0 (GThread *, n_clients);

  for (guint i = 0; i < n_clients; i++)
    {
      clients[i] = (Client) { .port = bendi_server_get_port (server), .deadline = deadline,
                              .leave_sometimes = leave_sometimes,
                              .n_requests = n_requests / n_clients + (i < n_requests % n_clients) };
      if (n_requests == 0)
        clients[i].n_requests = 0;
      threads[i] = g_thread_new ("client", client_thread, &clients[i]);
    }
  for (guint i = 0; i < n_clients; i++)
    {
      g_thread_join (threads[i]);
      total->n_ok += clients[i].n_ok;
      total->n_busy += clients[i].n_busy;
      total->n_other += clients[i].n_other;
      total->n_done += clients[i].n_done;
      total->n_left += clients[i].n_left;
      total->first_token_sum += clients[i].first_token_sum;
      total->n_first_token += clients[i].n_first_token;
    }
  g_free (clients);
  g_free (threads);
}

static void
assert_alive (BendiServer *server)
{
  g_autoptr (TestResponse) r = test_http (bendi_server_get_port (server), "POST", "/v1/chat/completions",
                                          "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4}",
                                          NULL);

  g_assert_cmpuint (r->status, ==, 200);
}

static void
test_500_requests (void)
{
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  Client total = { 0 };
  gint64 start;
  double seconds;

  bendi_server_options_init (&options);
  options.n_parallel = 2;
  options.max_queue = 8;
  server = test_server_start (&options);
  if (server == NULL)
    return;
  start = g_get_monotonic_time ();
  run_clients (server, 8, 500, 0, FALSE, &total);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_assert_cmpuint (total.n_other, ==, 0);
  g_assert_cmpuint (total.n_ok + total.n_busy, ==, 500);
  g_assert_cmpuint (total.n_ok, >, 0);
  assert_alive (server);
  g_test_message ("500 requests from 8 clients: %u answered 200, %u 429, in %.2f s: %.1f requests/s; "
                  "time to first token %.1f ms on average over %u streams",
                  total.n_ok, total.n_busy, seconds, 500 / seconds,
                  total.n_first_token > 0 ? 1000 * total.first_token_sum / total.n_first_token : 0.0,
                  total.n_first_token);
}

static void
test_soak (void)
{
  const char *env = g_getenv ("BENDI_SERVER_SOAK_SECONDS");
  double soak_seconds = env != NULL ? g_ascii_strtod (env, NULL) : 8.0;
  BendiServerOptions options;
  g_autoptr (BendiServer) server = NULL;
  BendiServerStats stats;
  Client total = { 0 };
  Idler idlers[2];
  GThread *idler_threads[2];
  guint fds_before, fds_after = 0;
  gsize rss_before, rss_middle, rss_after;
  gsize heap_before, heap_middle, heap_after;
  gint64 start, deadline;

  bendi_server_options_init (&options);
  options.n_parallel = 2;
  options.max_queue = 4;
  server = test_server_start (&options);
  if (server == NULL)
    return;
  /* warm up: the slots' contexts and caches exist before the baseline */
  run_clients (server, 4, 16, 0, FALSE, &total);
  fds_before = count_open_fds ();
  rss_before = resident_kib ();
  heap_before = heap_in_use_kib ();
  memset (&total, 0, sizeof total);

  start = g_get_monotonic_time ();
  deadline = start + (gint64) (soak_seconds * G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (idlers); i++)
    {
      idlers[i] = (Idler) { bendi_server_get_port (server), deadline };
      idler_threads[i] = g_thread_new ("idler", idler_thread, &idlers[i]);
    }
  /* in two halves, so the memory's trend shows: what the first half grew
   * (allocator arenas settling) the second must not grow again */
  run_clients (server, 4, 0, start + (deadline - start) / 2, TRUE, &total);
  rss_middle = resident_kib ();
  heap_middle = heap_in_use_kib ();
  run_clients (server, 4, 0, deadline, TRUE, &total);
  for (guint i = 0; i < G_N_ELEMENTS (idlers); i++)
    g_thread_join (idler_threads[i]);

  g_assert_cmpuint (total.n_other, ==, 0);
  g_assert_cmpuint (total.n_ok, >, 0);
  assert_alive (server);

  /* every connection closed: the descriptors come back */
  for (int i = 0; i < 300; i++)
    {
      fds_after = count_open_fds ();
      bendi_server_get_stats (server, &stats);
      if (fds_after <= fds_before && stats.n_busy_slots == 0)
        break;
      g_usleep (10 * 1000);
    }
  rss_after = resident_kib ();
  heap_after = heap_in_use_kib ();
  g_test_message ("soak of %.0f s: %u answered 200 (%u streams to [DONE], %u left mid-stream), %u 429; "
                  "%" G_GUINT64_FORMAT " generations cancelled; descriptors %u -> %u; resident %" G_GSIZE_FORMAT
                  " -> %" G_GSIZE_FORMAT " (half-way) -> %" G_GSIZE_FORMAT " KiB; heap in use %" G_GSIZE_FORMAT
                  " -> %" G_GSIZE_FORMAT " -> %" G_GSIZE_FORMAT " KiB",
                  soak_seconds, total.n_ok, total.n_done, total.n_left, total.n_busy, stats.n_cancelled, fds_before,
                  fds_after, rss_before, rss_middle, rss_after, heap_before, heap_middle, heap_after);
  g_assert_cmpuint (fds_after, <=, fds_before);
  g_assert_cmpuint (stats.n_busy_slots, ==, 0);
  g_assert_cmpuint (stats.n_queued, ==, 0);
  /* ASan's quarantine holds freed memory back, so resident memory only
   * means something without it */
  if (!UNDER_ASAN)
    {
      g_assert_cmpuint (rss_after, <, rss_before + 32 * 1024);
      g_assert_cmpuint (rss_after, <, rss_middle + 8 * 1024);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/load/500-requests", test_500_requests);
  g_test_add_func ("/server/load/soak", test_soak);

  return g_test_run ();
}
