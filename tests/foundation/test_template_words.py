"""`_()` in templates fills in values as Markup.format does: escaped, but for what is already Markup."""
from markupsafe import Markup

from server.core.i18n import Words, current_locale, template_gettext


def test_what_is_filled_in_is_escaped_as_markup_would():
    words = Words("{name} · {n} · {html}")
    values = {"name": "<script>x's & y</script>", "n": 12, "html": Markup("<b>kept</b>")}
    assert words.format(**values) == Markup("{name} · {n} · {html}").format(**values)
    assert words.format(**values) == "&lt;script&gt;x&#39;s &amp; y&lt;/script&gt; · 12 · <b>kept</b>"
    assert isinstance(words.format(**values), Markup)
    assert Words("{0} of {1:,}").format("<a>", 1234567) == "&lt;a&gt; of 1,234,567"


def test_the_words_are_the_readers_language():
    token = current_locale.set("th")
    try:
        assert template_gettext("{n} households").format(n="<1>") == "&lt;1&gt; ครัวเรือน"
    finally:
        current_locale.reset(token)
    token = current_locale.set("en")
    try:
        assert template_gettext("{n} households").format(n=3) == "3 households"
    finally:
        current_locale.reset(token)
