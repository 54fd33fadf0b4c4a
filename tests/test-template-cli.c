/* SPDX-License-Identifier: MIT */
/* bendi-cli template end to end: exact output, variables, exit statuses and messages. */
#include <string.h>
#include <sys/wait.h>

#include "test-util.h"

/* Runs "bendi-cli template ARGS…"; FALSE (test skipped) without the CLI. */
static gboolean
run_template (BendiTestRun      *r,
              const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) "template");
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return bendi_test_run_cli (r, (const char *const *) argv->pdata, NULL);
}

static char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static const char template_source[] =
  "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}"
  "{% if tools %}tools={{ tools|map(attribute='name')|join(',') }}\n{% endif %}"
  "{% if enable_thinking is false %}no-think\n{% endif %}"
  "{% if greeting %}greeting={{ greeting }}\n{% endif %}"
  "{% if add_generation_prompt %}<assistant>{% endif %}"
  "{{ bos_token }}|{{ eos_token }}";

static void
test_render (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *tmpl = write_file (dir, "chat.jinja", template_source);
  g_autofree char *messages = write_file (dir, "messages.json",
                                          "[{\"role\": \"user\", \"content\": \"Hi 你好\"}]");
  g_autofree char *object = write_file (dir, "object.json",
                                        "{\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}],"
                                        " \"tools\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}");

  {
    const char *args[] = { "--template", tmpl, "--messages", messages, NULL };
    g_auto (BendiTestRun) r;

    if (!run_template (&r, args))
      return;
    g_assert_cmpint (r.status, ==, 0);
    /* Exactly the rendering: no newline added. */
    g_assert_cmpstr (r.out, ==, "<user>Hi 你好\n<assistant>|");
    g_assert_cmpstr (r.err, ==, "");
  }
  {
    const char *args[] = { "--template", tmpl, "--messages", messages, "--no-generation-prompt",
                           "--bos-token", "<s>", "--eos-token", "</s>",
                           "--var", "enable_thinking=false", "--var", "greeting=true story", NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "<user>Hi 你好\nno-think\ngreeting=true story\n<s>|</s>");
  }
  {
    /* An object's other members are variables; --var true is a boolean. */
    const char *args[] = { "--template", tmpl, "--messages", object, "--var", "greeting=true", NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "<user>Q\ntools=a,b\ngreeting=True\n<assistant>|");
  }
  {
    /* --repeat renders again and again, prints once, and reports the time. */
    const char *args[] = { "--template", tmpl, "--messages", messages, "--repeat", "3", NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "<user>Hi 你好\n<assistant>|");
    g_assert_true (g_str_has_prefix (r.err, "rendered 3 times: "));
  }
  {
    const char *args[] = { "--format", "chatml", "--messages", messages, NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "<|im_start|>user\nHi 你好<|im_end|>\n<|im_start|>assistant\n");
  }
  bendi_test_remove_dir (dir);
}

static void
test_failures (void)
{
  g_autofree char *dir = bendi_test_make_temp_dir ();
  g_autofree char *refusing = write_file (dir, "refusing.jinja",
                                          "{% if messages[0].role == 'user' %}\n"
                                          "  {{- raise_exception('System message required') }}\n{% endif %}");
  g_autofree char *broken = write_file (dir, "broken.jinja", "ok\n{% for m in messages %}");
  g_autofree char *messages = write_file (dir, "messages.json", "[{\"role\": \"user\", \"content\": \"Hi\"}]");
  g_autofree char *not_json = write_file (dir, "bad.json", "[{\"role\": ");
  g_autofree char *missing = g_build_filename (dir, "missing.jinja", NULL);

  {
    /* raise_exception: exit 1, the message with its position on stderr. */
    const char *args[] = { "--template", refusing, "--messages", messages, NULL };
    g_auto (BendiTestRun) r;

    if (!run_template (&r, args))
      return;
    g_assert_cmpint (r.status, ==, 1);
    g_assert_cmpstr (r.out, ==, "");
    g_assert_nonnull (strstr (r.err, "refusing.jinja:2:7: System message required"));
  }
  {
    const char *args[] = { "--template", broken, "--messages", messages, NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "broken.jinja:2:24: unexpected end of template"));
  }
  {
    const char *args[] = { "--template", missing, "--messages", messages, NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 1);
  }
  {
    const char *args[] = { "--template", refusing, "--messages", not_json, NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 1);
  }
  /* Usage errors: exit 2. */
  {
    const char *args[] = { "--template", refusing, NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 2);
  }
  {
    const char *args[] = { "--template", refusing, "--messages", messages, "--var", "no-equals-sign", NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 2);
  }
  {
    const char *args[] = { "--template", refusing, "--messages", messages, "--repeat", "0", NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 2);
  }
  {
    const char *args[] = { "--format", "nonsense", "--messages", messages, NULL };
    g_auto (BendiTestRun) r;

    run_template (&r, args);
    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "chatml"));
  }
  bendi_test_remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/template/render", test_render);
  g_test_add_func ("/cli/template/failures", test_failures);

  return g_test_run ();
}
