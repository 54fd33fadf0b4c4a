/* SPDX-License-Identifier: MIT */
/* The template engine: each construct, filter, test and method against the reference's renderings, errors with their positions, the sandbox and its limits. */
#include <string.h>

#include "engine-error.h"
#include "template/template-json-glib.h"
#include "template/template.h"
#include "test-template-util.h"
#include "test-util.h"

typedef struct {
  const char *source;
  const char *variables;   /* JSON object, or NULL */
  const char *expected;
} RenderCase;

/* ------------------------------------------------------------------------ */
/* Renderings by the reference: Jinja2 3.1 in Hugging Face's configuration
 * (ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop
 * controls, tojson as json.dumps(ensure_ascii=False)), made once with
 * Python and pasted here; the engine under test did not produce them. */

static const RenderCase whitespace_cases[] = {
  { "a\n{% if true %}\nb\n{% endif %}\nc\n",
    NULL,
    "a\nb\nc" },
  { "  {% if true %}x{% endif %}  \n  {{ 'y' }}  \n",
    NULL,
    "x  \n  y  " },
  { "a  {%- if true -%}  b  {%- endif -%}  c",
    NULL,
    "abc" },
  { "a  {{- 'b' -}}  c\n  {{ 'd' }}",
    NULL,
    "abc\n  d" },
  { "  {%+ if true %}x{% endif +%}\ny",
    NULL,
    "  x\ny" },
  { "a {# comment #} b\n  {# own line #}\nc {#- strip -#} d",
    NULL,
    "a  b\ncd" },
  { "{% raw %}{{ x }}{% if %}{% endraw %}|{%- raw %}  {{ y }}  {% endraw -%}  |",
    NULL,
    "{{ x }}{% if %}|  {{ y }}  |" },
  { "line1\r\nline2\rline3\n",
    NULL,
    "line1\nline2\nline3" },
  { "x\n\n",
    NULL,
    "x\n" },
  { "{% for i in [1, 2] %}\n  - {{ i }}\n{% endfor %}\n",
    NULL,
    "  - 1\n  - 2\n" },
  { "{%- for i in [1, 2] -%}\n  {{ i }}\n{%- endfor %}",
    NULL,
    "12" },
  { "\t{% if true %}\ttabs{% endif %}",
    NULL,
    "\ttabs" },
};

static const RenderCase literals_cases[] = {
  { "{{ 1 }} {{ -5 }} {{ 1.5 }} {{ 1e3 }} {{ 2.5e-7 }} {{ 1e16 }} {{ 1e15 }} {{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 3.0 }}",
    NULL,
    "1 -5 1.5 1000.0 2.5e-07 1e+16 1000000000000000.0 0.30000000000000004 0.3333333333333333 3.0" },
  { "{{ 0x1f }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {{ 0.0001 }} {{ 0.00001 }} {{ -0.0 }}",
    NULL,
    "31 15 5 1000 0.0001 1e-05 -0.0" },
  { "{{ none }} {{ None }} {{ true }} {{ False }} {{ undefined_name }}|",
    NULL,
    "None None True False |" },
  { "{{ 'single' }} {{ \"double\" }} {{ 'it\\'s' }} {{ \"a\\tb\\\\c\" }} {{ '\\u4f60\\x41\\101' }} {{ 'a' 'b' \"c\" }}",
    NULL,
    "single double it's a\tb\\c 你AA abc" },
  { "{{ [1, 'a', none, true, 1.5, [2]] }} {{ {'k': 'v', 'n': [1, 2]} }} {{ (1,) }} {{ (1, 2) }} {{ () }}",
    NULL,
    "[1, 'a', None, True, 1.5, [2]] {'k': 'v', 'n': [1, 2]} (1,) (1, 2) ()" },
  { "{{ [\"it's\", 'x\"y', 'a\\nb', 'both\\'\"', '\\t\\\\'] }}",
    NULL,
    "[\"it's\", 'x\"y', 'a\\nb', 'both\\'\"', '\\t\\\\']" },
  { "{{ [1, 2,] }}{{ {'a': 1,} }}{{ 1, 2 }}",
    NULL,
    "[1, 2]{'a': 1}(1, 2)" },
};

static const RenderCase operators_cases[] = {
  { "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}",
    NULL,
    "10 -3 21 3.5 2.0 3 -4 2 -2 1024 0.5" },
  { "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 1.5 }} {{ true + 1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 1 + 2 * 3 - 4 / 2 }}",
    NULL,
    "3.0 0.5 2.5 2 64 4 5.0" },
  { "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] + [2] }} {{ [0] * 3 }} {{ (1,) + (2,) }} {{ 'x' ~ 1 ~ none ~ undefined_name }}",
    NULL,
    "abcd ababab xxx [1, 2] [0, 0, 0] (1, 2) x1None" },
  { "{{ 1 == 1.0 }} {{ true == 1 }} {{ [1, 2] == [1, 2] }} {{ (1, 2) == [1, 2] }} {{ 'a' != 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'abc' < 'abd' }} {{ [1, 2] < [1, 3] }}",
    NULL,
    "True True True False True True False True True" },
  { "{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ '' in 'x' }} {{ 1 in (1, 2) }}",
    NULL,
    "True True True True True True" },
  { "{{ 0 or 'x' }} {{ '' and 'y' }} {{ 1 and 2 }} {{ none or 0 }} {{ not 0 }} {{ not 'a' }} {{ not 1 == 2 }}",
    NULL,
    "x  2 0 True False True" },
  { "{{ 'yes' if 1 else 'no' }} {{ 'yes' if 0 else 'no' }} [{{ 'x' if false }}] {{ 'a' if false else 'b' if true else 'c' }}",
    NULL,
    "yes no [] b" },
  { "{{ 'x' ~ (1 + 2) }} {{ 1 ~ 2 + 3 ~ 4 }} {{ -(1 + 2) }} {{ +3 }} {{ not not 1 }} {{ (1 + 2) * 3 }}",
    NULL,
    "x3 1234 -3 3 True 9" },
};

static const RenderCase access_cases[] = {
  { "{{ m.role }} {{ m['content'] }} {{ m.missing }}| {{ m['missing'] }}| {{ xs[0] }} {{ xs[-1] }} {{ xs[9] }}| {{ xs.1 }}",
    "{\"m\": {\"role\": \"user\", \"content\": \"hi\"}, \"xs\": [1, 2, 3]}",
    "user hi | | 1 3 | 2" },
  { "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[-9:9] }} {{ xs[3:0:-1] }} {{ xs[1:1] }}",
    "{\"xs\": [1, 2, 3, 4]}",
    "[2, 3, 4] [1, 2, 3] [4, 3, 2, 1] [1, 3] [1, 2, 3, 4] [4, 3, 2] []" },
  { "{{ s[0] }} {{ s[-1] }} {{ s[1:3] }} {{ s[::-1] }} {{ s|length }} {{ s[9] }}|",
    "{\"s\": \"héllo世界\"}",
    "h 界 él 界世olléh 7 |" },
  { "{{ d.items is callable }} {{ d['items'] }} {{ d.get('x') }} {{ d.x }}",
    "{\"d\": {\"items\": \"key wins for []\", \"x\": 1}}",
    "True key wins for [] 1 1" },
  { "{{ messages[0].role }}/{{ messages[-1]['content'] }}/{{ (messages|last).role }}/{{ messages|length }}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}",
    "system/Hello!/assistant/3" },
};

static const RenderCase conditionals_cases[] = {
  { "{% if x > 2 %}big{% elif x > 1 %}mid{% else %}small{% endif %}",
    "{\"x\": 2}",
    "mid" },
  { "{% if none %}a{% elif 0 %}b{% elif '' %}c{% elif [] %}d{% else %}e{% endif %}",
    NULL,
    "e" },
  { "{% if x is defined and x %}defined{% endif %}{% if y is not defined %} undefined{% endif %}",
    "{\"x\": 1}",
    "defined undefined" },
  { "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{% endif %}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}",
    "Be brief." },
};

static const RenderCase loops_cases[] = {
  { "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.depth }};{% endfor %}",
    "{\"xs\": [\"a\", \"b\", \"c\"]}",
    "1032TrueFalse3||b|1;2121FalseFalse3|a|c|1;3210FalseTrue3|b||1;" },
  { "{% for x in xs if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}",
    "{\"xs\": [3, 1, 2]}",
    "3:1/2 2:2/2 " },
  { "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in missing %}x{% else %} also empty{% endfor %}",
    NULL,
    "empty also empty" },
  { "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{\"xs\": [1, 2, 3, 4, 5]}",
    "13" },
  { "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}{% for k, v in d|items %}{{ v }}{% endfor %}",
    "{\"d\": {\"b\": 1, \"a\": 2}}",
    "b=1;a=2;ba12" },
  { "{% for c in 'héllo' %}{{ c }}.{% endfor %}{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}",
    NULL,
    "h.é.l.l.o.37" },
  { "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}{% for x in [1, 1, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}",
    "{\"xs\": [1, 2, 3]}",
    "odd even odd 121" },
  { "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}({{ loop(n.kids) }}){% endif %}{% endfor %}",
    "{\"tree\": [{\"name\": \"a\", \"kids\": [{\"name\": \"b\", \"kids\": []}, {\"name\": \"c\", \"kids\": [{\"name\": \"d\"}]}]}, {\"name\": \"e\"}]}",
    "a(bc(d))e" },
  { "{% for i in range(2) %}{% for j in range(3) %}{{ i }}{{ j }}{{ loop.index }}{% endfor %}/{{ loop.index }} {% endfor %}",
    NULL,
    "001012023/1 101112123/2 " },
  { "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}{% for i in range(3, 0, -1) %}{{ i }}{% endfor %}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}",
    "aus321" },
};

static const RenderCase assignments_cases[] = {
  { "{% set x = 1 %}{% for i in range(2) %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}",
    NULL,
    "12121" },
  { "{% for i in range(3) %}{% if i == 0 %}{% set y = 5 %}{% endif %}{{ y }},{% endfor %}[{{ y }}]",
    NULL,
    "5,,,[]" },
  { "{% set ns = namespace(total=0, seen=[]) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }} {{ ns.seen }} {{ ns.missing }}|",
    NULL,
    "6 [] |" },
  { "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = 1, 2 %}{{ t }} {% set (c, d) = 'xy' %}{{ c }}{{ d }}",
    NULL,
    "12 (1, 2) xy" },
  { "{% set block %}  inner {{ 1 + 1 }}  {% endset %}[{{ block }}] {% set up | upper | trim %} hello {% endset %}[{{ up }}]",
    NULL,
    "[  inner 2  ] [HELLO]" },
  { "{% with a = 5, b = 6 %}{{ a + b }}{% endwith %}[{{ a }}]",
    NULL,
    "11[]" },
  { "{% if true %}{% set inner = 'leaks' %}{% endif %}{{ inner }}",
    NULL,
    "leaks" },
};

static const RenderCase macros_cases[] = {
  { "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }} {{ greet(name='X') }}",
    NULL,
    "Hello, Bob! Hi, Al! Hello, X!" },
  { "{% macro m(a, b=a * 2) %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, 5) }} {% macro v() %}{{ varargs }}{{ kwargs }}{% endmacro %}{{ v(1, 2, k=3) }}",
    NULL,
    "12 15 (1, 2){'k': 3}" },
  { "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}body{% endcall %} {% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}",
    NULL,
    "<body> [1][2]" },
  { "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}",
    NULL,
    "720" },
  { "{% set x = 1 %}{% macro show() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ show() }} {% macro missing(a) %}[{{ a }}]{% endmacro %}{{ missing() }}",
    NULL,
    "2 []" },
  { "{% filter upper %}abc {{ 'def' }}{% endfilter %} {% filter replace('a', 'b') | title %}aaa aaa{% endfilter %}",
    NULL,
    "ABC DEF Bbb Bbb" },
};

static const RenderCase filters_text_cases[] = {
  { "{{ s|trim }}|{{ s|upper }}|{{ s|lower }}|{{ s|capitalize }}|{{ s|title }}|{{ 'hello wORLD-foo(bar) x_y'|title }}",
    "{\"s\": \"  hEllo World  \"}",
    "hEllo World|  HELLO WORLD  |  hello world  |  hello world  |  Hello World  |Hello World-Foo(Bar) X_y" },
  { "{{ s|length }} {{ s|count }} {{ 'héllo'|length }} {{ none|string }} {{ 42|string }} {{ [1]|string }} {{ s|wordcount }}",
    "{\"s\": \"one two  three\"}",
    "14 14 5 None 42 [1] 3" },
  { "{{ s|replace('l', 'L') }} {{ s|replace('l', 'L', 1) }} {{ 'aa'|replace('', '-') }} {{ 'xyz'|replace('y', '') }}",
    "{\"s\": \"hello\"}",
    "heLLo heLlo -a-a- xz" },
  { "{{ '<a href=\"x\">&\\'</a>'|escape }} {{ '<b>'|e }} {{ '<b>'|safe }} {{ 'a'|center(5) }}| {{ 'x\\ny'|indent(2) }} {{ 'x\\n\\ny\\n'|indent(2, true) }} {{ 'x\\n\\ny'|indent(2, blank=true) }}",
    NULL,
    "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt; &lt;b&gt; <b>   a  | x\n  y   x\n\n  y\n x\n  \n  y" },
  { "{{ '%s-%05.2f-%x-%r' % ('a', 3.14159, 255, 'q') }} {{ '%(n)s!' % {'n': 1} }} {{ '%d%%' % 50 }} {{ 'x%sy'|format(1) }} {{ '%-4s|' % 'ab' }}",
    NULL,
    "a-03.14-ff-'q' 1! 50% x1y ab  |" },
};

static const RenderCase filters_lists_cases[] = {
  { "{{ xs|first }} {{ xs|last }} {{ []|first }}| {{ xs|length }} {{ xs|join(',') }} {{ xs|join }} {{ xs|sum }} {{ xs|min }} {{ xs|max }} {{ xs|sort }} {{ xs|sort(reverse=true) }} {{ xs|reverse|list }}",
    "{\"xs\": [3, 1, 2]}",
    "3 2 | 3 3,1,2 312 6 1 3 [1, 2, 3] [3, 2, 1] [2, 1, 3]" },
  { "{{ names|sort }} {{ names|sort(case_sensitive=true) }} {{ names|unique|list }} {{ names|unique(case_sensitive=true)|list }} {{ names|min }} {{ names|max }}",
    "{\"names\": [\"b\", \"A\", \"c\", \"a\"]}",
    "['A', 'a', 'b', 'c'] ['A', 'a', 'b', 'c'] ['b', 'A', 'c'] ['b', 'A', 'c', 'a'] A c" },
  { "{{ messages|map(attribute='role')|list }} {{ messages|map(attribute='x', default='\?')|join }} {{ ['a', 'b']|map('upper')|join }} {{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|rejectattr('role', 'eq', 'user')|map(attribute='role')|join('+') }} {{ messages|join(', ', attribute='role') }}",
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}",
    "['system', 'user', 'assistant'] \?\?\? AB 1 system+assistant system, user, assistant" },
  { "{{ xs|select('odd')|list }} {{ xs|reject('odd')|list }} {{ xs|select|list }} {{ xs|select('greaterthan', 2)|list }} {{ 0|select|list }}",
    "{\"xs\": [0, 1, 2, 3, 4]}",
    "[1, 3] [0, 2, 4] [1, 2, 3, 4] [3, 4] []" },
  { "{{ d|dictsort }} {{ d|dictsort(by='value') }} {{ d|dictsort(reverse=true) }} {{ d|items|list }} {{ d|list }} {{ d|length }} {{ d|first }}",
    "{\"d\": {\"b\": 1, \"a\": 3, \"C\": 2}}",
    "[('a', 3), ('b', 1), ('C', 2)] [('b', 1), ('C', 2), ('a', 3)] [('C', 2), ('b', 1), ('a', 3)] [('b', 1), ('a', 3), ('C', 2)] ['b', 'a', 'C'] 3 b" },
  { "{{ xs|batch(2)|list }} {{ xs|batch(2, 0)|list }} {{ 'ab'|list }} {{ messages|sort(attribute='role')|map(attribute='role')|join(',') }} {{ [[1], [2]]|sum(start=[]) }}",
    "{\"xs\": [1, 2, 3], \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}",
    "[[1, 2], [3]] [[1, 2], [3, 0]] ['a', 'b'] assistant,system,user [1, 2]" },
  { "{{ xs|map('string')|join('') }} {{ ['1', '2']|map('int')|sum }} {{ [1, 2, 1]|unique|list }} {{ (xs|selectattr('x') is defined) }}",
    "{\"xs\": [1, 2, 3]}",
    "123 3 [1, 2] True" },
};

static const RenderCase filters_values_cases[] = {
  { "{{ u|default('d') }} {{ ''|default('e') }} {{ ''|default('e', true) }} {{ none|default('n') }} {{ 0|d('z', boolean=true) }} {{ u|length }} {{ u|string }}|",
    NULL,
    "d  e None z 0 |" },
  { "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(9) }} {{ ' 12 '|int }} {{ '0x1A'|int(base=16) }} {{ 3.9|int }} {{ -3.9|int }} {{ true|int }} {{ '1_000'|int }}",
    NULL,
    "42 4 0 9 12 26 3 -3 1 1000" },
  { "{{ '3.5'|float }} {{ 'x'|float }} {{ 3|float }} {{ ' 1e3 '|float }} {{ -3|abs }} {{ -2.5|abs }}",
    NULL,
    "3.5 0.0 3.0 1000.0 3 2.5" },
  { "{{ 2.5|round }} {{ 3.5|round }} {{ 5|round }} {{ 3.14159|round(2) }} {{ 2.675|round(2) }} {{ 2|round(1, 'floor') }} {{ 2.1|round(0, 'ceil') }} {{ -2.5|round }} {{ 1234.5|round(-2) }}",
    NULL,
    "2.0 4.0 5 3.14 2.67 2.0 3.0 -2.0 1200.0" },
};

static const RenderCase tojson_cases[] = {
  { "{{ xs|tojson }} {{ d|tojson }} {{ 'é \"q\" \\\\ \\n \\t \\u0001'|tojson }} {{ none|tojson }} {{ true|tojson }} {{ 1.5|tojson }} {{ 1.0|tojson }} {{ (1, 2)|tojson }}",
    "{\"xs\": [1, \"a\", null], \"d\": {\"k\": [1, {\"n\": true}]}}",
    "[1, \"a\", null] {\"k\": [1, {\"n\": true}]} \"é \\\"q\\\" \\\\ \\n \\t \\u0001\" null true 1.5 1.0 [1, 2]" },
  { "{{ tools|tojson }}\n{{ tools|tojson(indent=4) }}\n{{ tools[0]|tojson(indent=2, sort_keys=true) }}\n{{ tools[0].function.parameters|tojson(separators=(',', ':')) }}\n{{ [[], {}]|tojson(indent=2) }}\n{{ {1: 2, true: 3, none: 4}|tojson }}",
    "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City, e.g. 北京\"}}, \"required\": [\"city\"]}}}]}",
    "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City, e.g. 北京\"}}, \"required\": [\"city\"]}}}]\n[\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": \"get_weather\",\n            \"description\": \"Get the weather\",\n            \"parameters\": {\n                \"type\": \"object\",\n                \"properties\": {\n                    \"city\": {\n                        \"type\": \"string\",\n                        \"description\": \"City, e.g. 北京\"\n                    }\n                },\n                \"required\": [\n                    \"city\"\n                ]\n            }\n        }\n    }\n]\n{\n  \"function\": {\n    \"description\": \"Get the weather\",\n    \"name\": \"get_weather\",\n    \"parameters\": {\n      \"properties\": {\n        \"city\": {\n          \"description\": \"City, e.g. 北京\",\n          \"type\": \"string\"\n        }\n      },\n      \"required\": [\n        \"city\"\n      ],\n      \"type\": \"object\"\n    }\n  },\n  \"type\": \"function\"\n}\n{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"description\":\"City, e.g. 北京\"}},\"required\":[\"city\"]}\n[\n  [],\n  {}\n]\n{\"1\": 3, \"null\": 4}" },
  { "{{ x|tojson(ensure_ascii=true) }}",
    "{\"x\": \"é😀\"}",
    "\"\\u00e9\\ud83d\\ude00\"" },
};

static const RenderCase tests_cases[] = {
  { "{{ n is none }}{{ n is not none }}{{ u is defined }}{{ u is undefined }}{{ xs is iterable }}{{ s is string }}{{ 1 is number }}{{ true is number }}{{ 1.5 is float }}{{ 1 is integer }}{{ true is integer }}{{ d is mapping }}{{ xs is sequence }}{{ s is sequence }}{{ 1 is sequence }}{{ 1 is iterable }}",
    "{\"n\": null, \"xs\": [1], \"s\": \"s\", \"d\": {}}",
    "TrueFalseFalseTrueTrueTrueTrueTrueTrueTrueFalseTrueTrueTrueFalseFalse" },
  { "{{ true is boolean }}{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }}{{ 'a' is equalto 'a' }}{{ 2 is eq 2 }}{{ 3 is gt 2 }}{{ 3 is lt 2 }}{{ 3 is ge 3 }}{{ 2 is in [1, 2] }}{{ 'ab' is lower }}{{ 'AB' is upper }}{{ none is sameas none }}{{ 'upper' is filter }}{{ 'odd' is test }}{{ range is callable }}",
    NULL,
    "TrueTrueFalseTrueTrueTrueTrueFalseTrueTrueTrueFalseTrueTrueTrueTrueTrueTrueTrueTrue" },
};

static const RenderCase methods_cases[] = {
  { "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi\\n'.lstrip('\\n') }}|{{ s.upper() }}|{{ s.lower() }}|{{ \"they're bill's\".title() }}|{{ 'hELLO'.capitalize() }}",
    "{\"s\": \"  Hi There  \"}",
    "Hi There|Hi There  |  Hi There|hi|hi\n|  HI THERE  |  hi there  |They'Re Bill'S|Hello" },
  { "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ '  a  b  '.split(none, 1) }} {{ '  a  b  '.rsplit(none, 1) }} {{ 'a\\nb\\r\\nc'.splitlines() }}",
    NULL,
    "['a', 'b', 'c'] ['a', 'b', '', 'c'] ['a', 'b,c'] ['a,b', 'c'] ['a', 'b  '] ['  a', 'b'] ['a', 'b', 'c']" },
  { "{{ s.startswith('He') }} {{ s.endswith('lo') }} {{ s.startswith(('x', 'H')) }} {{ s.startswith('e', 1) }} {{ s.replace('l', 'L') }} {{ s.replace('l', 'L', 1) }} {{ s.find('l') }} {{ s.rfind('l') }} {{ s.find('z') }} {{ s.count('l') }} {{ s.index('o') }}",
    "{\"s\": \"Hello\"}",
    "True True True True HeLLo HeLlo 2 3 -1 2 4" },
  { "{{ ', '.join(['a', 'b']) }} {{ '-'.join('abc') }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ '42'.zfill(5) }} {{ '-4'.zfill(4) }} {{ 'ab'.ljust(4, '*') }}| {{ 'ab'.rjust(4) }} {{ 'ab'.center(6, '.') }}",
    NULL,
    "a, b a-b-c ('a', '=', 'b=c') ('a=b', '=', 'c') 00042 -004 ab**|   ab ..ab.." },
  { "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'ab1'.isalnum() }} {{ ' '.isspace() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ ''.isdigit() }} {{ 'abc'.removeprefix('a') }} {{ 'abc'.removesuffix('c') }}",
    NULL,
    "True True True True True True False bc ab" },
  { "{{ '{}-{}'.format(1, 'b') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{x}!'.format(x=3) }} {{ '{:>5}|{:<5}|{:^5}|{:05d}|{:.2f}|{:,}'.format('a', 'b', 'c', 42, 3.14159, 1234567) }} {{ '{!r}'.format('x') }} {{ '{0[1]}'.format([5, 6]) }}",
    NULL,
    "1-b aba 3!     a|b    |  c  |00042|3.14|1,234,567 'x' 6" },
  { "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}",
    "{\"d\": {\"b\": 1, \"a\": 2}}",
    "['b', 'a'] [1, 2] [('b', 1), ('a', 2)] 2 None 0" },
  { "{{ xs.index(2) }} {{ xs.count(1) }} {{ (1, 2).index(2) }}",
    "{\"xs\": [1, 2, 1]}",
    "1 2 1" },
  { "{% set content = m.content %}{% if '</think>' in content %}{{ content.split('</think>')[-1].lstrip('\\n') }}|{{ content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}{% endif %}",
    "{\"m\": {\"content\": \"<think>\\nreasoning here\\n</think>\\n\\nThe answer.\"}}",
    "The answer.|reasoning here" },
};


static void
check_cases (const RenderCase *cases,
             gsize             n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = template_test_render (cases[i].source, cases[i].variables, NULL, &error);

      if (error != NULL || g_strcmp0 (out, cases[i].expected) != 0)
        g_test_message ("template: %s", cases[i].source);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, cases[i].expected);
    }
}

#define CASES_TEST(name) \
  static void \
  test_##name (void) \
  { \
    check_cases (name##_cases, G_N_ELEMENTS (name##_cases)); \
  }

CASES_TEST (whitespace)
CASES_TEST (literals)
CASES_TEST (operators)
CASES_TEST (access)
CASES_TEST (conditionals)
CASES_TEST (loops)
CASES_TEST (assignments)
CASES_TEST (macros)
CASES_TEST (filters_text)
CASES_TEST (filters_lists)
CASES_TEST (filters_values)
CASES_TEST (tojson)
CASES_TEST (tests)
CASES_TEST (methods)

/* ------------------------------------------------------------------------ */
/* Where Bendi departs from the reference on purpose, and what it adds. */

static const RenderCase lenient_cases[] = {
  /* Jinja fails on an attribute or item of an undefined value; templates
   * written for other engines rely on it being undefined too. */
  { "[{{ missing.attr }}][{{ missing['key'] }}][{{ missing.a.b is defined }}][{{ none.attr }}]", NULL, "[][][False][]" },
  { "{% if messages[5].role is defined %}yes{% else %}no{% endif %}", "{\"messages\": []}", "no" },
  /* The immutable sandbox refuses list.append and dict.pop; chat templates
   * written for llama.cpp use them. */
  { "{% set xs = [1] %}{% set _ = xs.append(2) %}{{ xs }} {{ xs.pop() }} {{ xs }}", NULL, "[1, 2] 2 [1]" },
  { "{% set d = {'a': 1, 'b': 2} %}{{ d.pop('a') }} {{ d }} {{ d.pop('z', 0) }}", NULL, "1 {'b': 2} 0" },
  { "{% set ns = namespace(items=[]) %}{% for i in range(3) %}{% set _ = ns.items.append(i * i) %}{% endfor %}{{ ns.items }}",
    NULL, "[0, 1, 4]" },
  /* strftime_now sees the injected time: 2024-07-26 00:00:00 UTC, a Friday. */
  { "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d %B %Y, %A %H:%M') }}|{{ strftime_now('%Y-%m-%dT%H:%M:%S %j %a %y %e') }}",
    NULL, "26 Jul 2024|26 July 2024, Friday 00:00|2024-07-26T00:00:00 208 Fri 24 26" },
  /* Hugging Face's generation block renders its body in place. */
  { "{% generation %}kept {{ 1 }}{% endgeneration %}", NULL, "kept 1" },
};

static void
test_lenient (void)
{
  check_cases (lenient_cases, G_N_ELEMENTS (lenient_cases));
}

/* ------------------------------------------------------------------------ */
/* Errors: the domain, the code, and "LINE:COLUMN: " with the message. */

typedef struct {
  const char *source;
  int         code;
  const char *message;   /* the whole message */
} ErrorCase;

static const ErrorCase error_cases[] = {
  /* Syntax: the position of the token the parser stopped at. */
  { "{{ 1 +\n }}", BENDI_ENGINE_ERROR_INVALID_FILE, "2:2: unexpected end of print statement" },
  { "{% for x in xs %}\nbody", BENDI_ENGINE_ERROR_INVALID_FILE,
    "2:5: unexpected end of template; looking for 'endfor' or 'else' to close 'for'" },
  { "{% if true %}\n  {% endfor %}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "2:6: encountered unknown tag 'endfor'; the innermost block that needs to be closed is 'if'" },
  { "{{ 'unterminated }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:4: the string that starts here does not end" },
  { "{# never closed", BENDI_ENGINE_ERROR_INVALID_FILE, "1:1: missing end of comment tag" },
  { "{% raw %} never closed", BENDI_ENGINE_ERROR_INVALID_FILE, "1:1: missing end of raw directive" },
  { "{{ (1 }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:7: unexpected '}', expected ')'" },
  { "{{ ! }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:4: unexpected char '!'" },
  /* Columns count characters, not bytes. */
  { "héllo {{ 'x' ~ }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:16: unexpected end of print statement" },
  { "{% break %}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:4: 'break' outside loop" },
  { "{% include 'other.jinja' %}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:4: the 'include' tag is not supported: a chat template stands alone" },
  /* Unknown filters and tests fail when parsed, except inside an if. */
  { "x\n{{ value|nofilter }}", BENDI_ENGINE_ERROR_INVALID_FILE, "2:10: no filter named 'nofilter'" },
  { "{{ x is notest }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:6: no test named 'notest'" },
  { "{% if x %}{{ x|nofilter }}{% endif %}{{ 1|nofilter if false }}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:43: no filter named 'nofilter'" },
  /* Run time: the innermost node. */
  { "abc\n  {{ raise_exception('bad input') }}", BENDI_ENGINE_ERROR_INVALID_INPUT, "2:6: bad input" },
  { "{{ 'a' + 1 }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:8: can only concatenate str (not \"int\") to str" },
  { "{{ 10 / 0 }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:7: division by zero" },
  { "{% set x = [] %}\n{{ x.nope() }}", BENDI_ENGINE_ERROR_INVALID_FILE, "2:6: 'nope' is undefined" },
  { "{{ missing() }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:4: 'missing' is undefined" },
  { "{% set ns = 1 %}{% set ns.x = 2 %}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:20: cannot assign attribute on non-namespace object" },
  { "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:34: macro 'm' takes not more than 1 argument(s)" },
  { "{% macro m(a) %}{% endmacro %}{{ m(b=2) }}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:34: macro 'm' takes no keyword argument 'b'" },
  { "{{ 'x'|int + 'y' }}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:12: unsupported operand type(s) for +: 'int' and 'str'" },
  { "{{ [1, 'a']|sort }}", BENDI_ENGINE_ERROR_INVALID_FILE,
    "1:13: '<' not supported between instances of 'str' and 'int'" },
  { "{{ none|length }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:9: object of type 'NoneType' has no len()" },
  { "{{ m.content.strip() }}", BENDI_ENGINE_ERROR_INVALID_FILE, "1:14: 'strip' is undefined" },
};

static void
test_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = template_test_render (error_cases[i].source, "{\"m\": {\"content\": null}}", NULL, &error);

      g_test_message ("template: %s", error_cases[i].source);
      g_assert_null (out);
      g_assert_error (error, BENDI_ENGINE_ERROR, error_cases[i].code);
      g_assert_cmpstr (error->message, ==, error_cases[i].message);
    }
}

static void
test_invalid_utf8 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new ("ok\n  \xff{{ x }}", -1, &error);

  g_assert_null (tmpl);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  g_assert_cmpstr (error->message, ==, "2:3: the template is not valid UTF-8");
}

/* ------------------------------------------------------------------------ */
/* The sandbox: nothing of the host can be reached. */

static void
test_sandbox (void)
{
  static const char *const probes[] = {
    "{{ x.__class__ }}{{ x.__class__.__mro__ }}{{ ''.__class__ }}{{ [].__class__.__base__ }}",
    "{{ range.__globals__ }}{{ namespace.__init__ }}{{ raise_exception.__code__ }}",
    "{{ self }}{{ config }}{{ request }}{{ os }}{{ cycler }}{{ joiner }}{{ lipsum }}{{ __builtins__ }}",
    "{{ x['__class__'] }}{{ x|attr('__class__') }}{{ messages.__len__ }}{{ ''.format.__self__ }}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = template_test_render (probes[i], "{\"x\": \"s\", \"messages\": []}", NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, "");
    }
  /* Calling what is not there fails, whatever it is named. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *out = template_test_render ("{{ x.__class__.__subclasses__() }}", "{\"x\": 1}", NULL, &error);

    g_assert_null (out);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *out = template_test_render ("{% include '/etc/passwd' %}", NULL, NULL, &error);

    g_assert_null (out);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  }
}

/* ------------------------------------------------------------------------ */
/* Limits. Each hostile template must fail with an error: timings are only
 * reported, never asserted. */

static void
expect_limit (const char                 *source,
              const BendiTemplateOptions *options,
              const char                 *message_part)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  double seconds;

  g_test_timer_start ();
  out = template_test_render (source, NULL, options, &error);
  seconds = g_test_timer_elapsed ();
  g_test_message ("%.3f s: %.60s", seconds, source);
  g_assert_null (out);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  if (strstr (error->message, message_part) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, message_part);
}

/* The four attacks the issue names, with the default limits. */
static void
test_limits_issue (void)
{
  expect_limit ("{{ range(10**9)|length }}", NULL, "range too big");
  expect_limit ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", NULL, "more than 256 deep");
  expect_limit ("{{ 'A' * 10**9 }}", NULL, "bytes of memory");
  expect_limit ("{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
                "{{ a }}{% endfor %}{% endfor %}{% endfor %}", NULL, "steps");
}

static void
test_limits (void)
{
  BendiTemplateOptions options;

  bendi_template_options_init (&options);
  g_assert_cmpuint (options.max_output_bytes, ==, 1024 * 1024);
  g_assert_cmpuint (options.max_recursion, ==, 256);
  g_assert_cmpint (options.max_range, ==, 100000);

  expect_limit ("{% for i in range(100001) %}{% endfor %}", NULL, "range too big");
  expect_limit ("{% macro a(n) %}{{ b(n) }}{% endmacro %}{% macro b(n) %}{{ a(n + 1) }}{% endmacro %}{{ a(0) }}", NULL,
                "more than 256 deep");
  expect_limit ("{% for i in [1] recursive %}{{ loop([1]) }}{% endfor %}", NULL, "more than 256 deep");
  expect_limit ("{% for i in range(100000) %}{{ 'x' * 20 }}{% endfor %}", NULL, "output is longer than");
  expect_limit ("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                NULL, "bytes of memory");
  expect_limit ("{% set xs = [] %}{% for i in range(100000) %}{% set _ = xs.append(range(1000)) %}{% endfor %}",
                NULL, "bytes of memory");
  expect_limit ("{% set ns = namespace(x=none) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
                NULL, "nested too deeply");
  expect_limit ("{% set x = [] %}{% set _ = x.append(x) %}{{ x|tojson }}", NULL, "nested too deeply");
  expect_limit ("{% set l = range(100000)|list %}{% for i in range(100000) %}{{ l|sort|length }}{% endfor %}", NULL,
                "steps");
  expect_limit ("{{ 'x'.ljust(10**9) }}", NULL, "too wide");
  expect_limit ("{{ 10 ** 100 }}", NULL, "integer overflow");

  /* Lower limits apply as given. */
  options.max_output_bytes = 10;
  expect_limit ("{{ 'a' * 11 }}", &options, "output is longer than 10 bytes");
  bendi_template_options_init (&options);
  options.max_steps = 100;
  expect_limit ("{% for i in range(1000) %}{% endfor %}", &options, "more than 100 steps");
  bendi_template_options_init (&options);
  options.max_recursion = 3;
  expect_limit ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(0) }}", &options, "more than 3 deep");
  bendi_template_options_init (&options);
  options.max_range = 10;
  expect_limit ("{{ range(11) }}", &options, "at most 10 items");

  /* Nesting is refused by the parser, before anything runs. */
  {
    g_autoptr (GString) source = g_string_new ("{{ ");
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiTemplate) tmpl = NULL;

    for (int i = 0; i < 300; i++)
      g_string_append_c (source, '(');
    g_string_append (source, "1");
    for (int i = 0; i < 300; i++)
      g_string_append_c (source, ')');
    g_string_append (source, " }}");
    tmpl = bendi_template_new (source->str, -1, &error);
    g_assert_null (tmpl);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  }
  {
    g_autoptr (GString) source = g_string_new ("{{ 1");
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiTemplate) tmpl = NULL;

    for (int i = 0; i < 100000; i++)
      g_string_append (source, " + 1");
    g_string_append (source, " }}");
    tmpl = bendi_template_new (source->str, -1, &error);
    g_assert_null (tmpl);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
    g_assert_nonnull (strstr (error->message, "nests more than 256 levels"));
  }
  {
    g_autoptr (GString) source = g_string_new (NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiTemplate) tmpl = NULL;

    for (int i = 0; i < 5000; i++)
      g_string_append (source, "{% for x in y %}{% if x %}");
    tmpl = bendi_template_new (source->str, -1, &error);
    g_assert_null (tmpl);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  }
  {
    /* Too long to be a chat template. */
    gsize size = BENDI_TEMPLATE_MAX_SOURCE_BYTES + 1;
    g_autofree char *source = g_malloc (size + 1);
    g_autoptr (GError) error = NULL;
    g_autoptr (BendiTemplate) tmpl = NULL;

    memset (source, 'x', size);
    source[size] = '\0';
    tmpl = bendi_template_new (source, -1, &error);
    g_assert_null (tmpl);
    g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_FILE);
  }
}

/* ------------------------------------------------------------------------ */
/* Values and rendering as the API promises. */

static void
test_values (void)
{
  g_autoptr (BendiTemplateValue) dict = bendi_template_value_new_dict ();
  g_autoptr (BendiTemplateValue) list = bendi_template_value_new_list ();
  g_autoptr (BendiTemplateValue) bad = bendi_template_value_new_string ("a\xff" "b", -1);
  g_autofree char *text = NULL;
  gsize len;

  bendi_template_value_dict_set (dict, "z", bendi_template_value_new_integer (1));
  bendi_template_value_dict_set (dict, "a", bendi_template_value_new_float (0.5));
  bendi_template_value_dict_set (dict, "z", bendi_template_value_new_boolean (TRUE));
  bendi_template_value_list_append (list, bendi_template_value_new_none ());
  bendi_template_value_list_append (list, bendi_template_value_new_string ("it's", -1));
  bendi_template_value_dict_set (dict, "list", bendi_template_value_ref (list));

  /* Replacing keeps the key's place, as Python's dict does. */
  text = bendi_template_value_to_string (dict);
  g_assert_cmpstr (text, ==, "{'z': True, 'a': 0.5, 'list': [None, \"it's\"]}");
  g_assert_cmpuint (bendi_template_value_get_length (dict), ==, 3);
  g_assert_true (bendi_template_value_get_boolean (bendi_template_value_dict_lookup (dict, "z")));
  g_assert_null (bendi_template_value_dict_lookup (dict, "missing"));
  g_assert_cmpint (bendi_template_value_get_value_type (bendi_template_value_list_get (list, 0)), ==,
                   BENDI_TEMPLATE_VALUE_NONE);
  g_assert_null (bendi_template_value_list_get (list, 2));
  g_assert_cmpstr (bendi_template_value_get_string (bad, &len), ==, "a\xef\xbf\xbd" "b");
  g_assert_cmpuint (len, ==, 5);
}

static void
test_render_api (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new ("{{ a }}|{{ b }}|{{ c }}", -1, &error);
  g_autoptr (BendiTemplateValue) variables = bendi_template_value_new_dict ();
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  bendi_template_value_dict_set (variables, "a", bendi_template_value_new_string ("x\0y", 3));
  bendi_template_value_dict_set (variables, "b", bendi_template_value_new_undefined ());
  /* Without variables the template still renders. */
  out = bendi_template_render (tmpl, NULL, NULL, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "||");
  g_clear_pointer (&out, g_free);
  /* The length counts the NUL a value brought in. */
  out = bendi_template_render (tmpl, variables, NULL, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 5);
  g_assert_cmpmem (out, len, "x\0y||", 5);
  /* Rendering does not change the caller's values. */
  {
    g_autoptr (BendiTemplate) mutating = bendi_template_new ("{% set _ = xs.append(1) %}{{ xs }}", -1, &error);
    g_autoptr (BendiTemplateValue) vars = template_test_value_from_json ("{\"xs\": []}");

    g_assert_no_error (error);
    again = bendi_template_render (mutating, vars, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (again, ==, "[1]");
    g_assert_cmpuint (bendi_template_value_get_length (bendi_template_value_dict_lookup (vars, "xs")), ==, 0);
  }
}

/* Caller values nested past the limit are refused as input, not crashed on. */
static void
test_deep_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new ("{{ x|length }}", -1, &error);
  g_autoptr (BendiTemplateValue) variables = bendi_template_value_new_dict ();
  g_autoptr (GString) json = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  BendiTemplateValue *deep = bendi_template_value_new_list ();
  BendiTemplateValue *converted;

  g_assert_no_error (error);
  for (int i = 0; i < 1000; i++)
    {
      BendiTemplateValue *outer = bendi_template_value_new_list ();

      bendi_template_value_list_append (outer, deep);
      deep = outer;
    }
  bendi_template_value_dict_set (variables, "x", deep);
  out = bendi_template_render (tmpl, variables, NULL, NULL, &error);
  g_assert_null (out);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "the variable “x”"));
  g_clear_error (&error);

  for (int i = 0; i < 100; i++)
    g_string_append_c (json, '[');
  for (int i = 0; i < 100; i++)
    g_string_append_c (json, ']');
  json_parser_load_from_data (parser, json->str, -1, &error);
  g_assert_no_error (error);
  converted = bendi_template_value_from_json_node (json_parser_get_root (parser), 50, &error);
  g_assert_null (converted);
  g_assert_error (error, BENDI_ENGINE_ERROR, BENDI_ENGINE_ERROR_INVALID_INPUT);
}

typedef struct {
  BendiTemplate      *tmpl;
  BendiTemplateValue *variables;
  const char         *expected;
} ThreadData;

static gpointer
render_many (gpointer user_data)
{
  ThreadData *data = user_data;

  for (int i = 0; i < 50; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = bendi_template_render (data->tmpl, data->variables, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, data->expected);
    }
  return NULL;
}

/* One parsed template, one set of variables, rendered by four threads at once. */
static void
test_threads (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BendiTemplate) tmpl = bendi_template_new (
    "{% for m in messages %}{{ m.role|upper }}:{{ m.content.strip() }}{{ '你好'[0] }}{% endfor %}{{ 'é' in 'café' }}",
    -1, &error);
  g_autoptr (BendiTemplateValue) variables =
    template_test_value_from_json ("{\"messages\": [{\"role\": \"user\", \"content\": \" hi \"}]}");
  ThreadData data = { tmpl, variables, "USER:hi你True" };
  GThread *threads[4];

  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("render", render_many, &data);
  for (gsize i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/template/whitespace", test_whitespace);
  g_test_add_func ("/engine/template/literals", test_literals);
  g_test_add_func ("/engine/template/operators", test_operators);
  g_test_add_func ("/engine/template/access", test_access);
  g_test_add_func ("/engine/template/conditionals", test_conditionals);
  g_test_add_func ("/engine/template/loops", test_loops);
  g_test_add_func ("/engine/template/assignments", test_assignments);
  g_test_add_func ("/engine/template/macros", test_macros);
  g_test_add_func ("/engine/template/filters-text", test_filters_text);
  g_test_add_func ("/engine/template/filters-lists", test_filters_lists);
  g_test_add_func ("/engine/template/filters-values", test_filters_values);
  g_test_add_func ("/engine/template/tojson", test_tojson);
  g_test_add_func ("/engine/template/tests", test_tests);
  g_test_add_func ("/engine/template/methods", test_methods);
  g_test_add_func ("/engine/template/lenient", test_lenient);
  g_test_add_func ("/engine/template/errors", test_errors);
  g_test_add_func ("/engine/template/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/engine/template/sandbox", test_sandbox);
  g_test_add_func ("/engine/template/limits-issue", test_limits_issue);
  g_test_add_func ("/engine/template/limits", test_limits);
  g_test_add_func ("/engine/template/values", test_values);
  g_test_add_func ("/engine/template/render-api", test_render_api);
  g_test_add_func ("/engine/template/deep-input", test_deep_input);
  g_test_add_func ("/engine/template/threads", test_threads);

  return g_test_run ();
}
