"""The phone's checks in a real Chromium: pwa/js/rules.js answers every shared case as the server does."""
import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch_chromium
from tests.support.field_rules import FORMS, load_cases, server_messages

pytestmark = pytest.mark.browser

# Loads the module as the phone does (from the server, as an ES module) and answers every case.
RUN_CASES = """async (cases) => {
  const rules = await import("/static/js/rules.js");
  const check = {household: rules.checkHousehold, survey: rules.checkSurvey};
  const forms = {};
  for (const form of ["household", "survey"]) {
    forms[form] = cases[form].map((c) => ({
      th: check[form](c.values, "th"), en: check[form](c.values, "en"), unnamed: check[form](c.values),
    }));
  }
  return {
    exports: Object.keys(rules).sort(),
    citizenIds: cases.citizen_ids.map((c) => ({
      normalized: rules.normalizeCitizenId(c.text), valid: rules.isValidCitizenId(c.text),
    })),
    forms,
  };
}"""


def test_rules_js_answers_every_case_as_the_file_and_the_server_do(live_server):
    cases = load_cases()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.goto(f"{live_server}/healthz")
        answers = page.evaluate(RUN_CASES, cases)
        browser.close()

    assert answers["exports"] == ["checkHousehold", "checkSurvey", "isValidCitizenId", "normalizeCitizenId"]
    assert answers["citizenIds"] == [{"normalized": c["normalized"], "valid": c["valid"]}
                                     for c in cases["citizen_ids"]]
    differences = []
    for form in FORMS:
        for case, answer in zip(cases[form], answers["forms"][form], strict=True):
            expected = {locale: server_messages(form, case["values"], locale) for locale in ("th", "en")}
            expected["unnamed"] = expected["th"]  # Thai unless English is asked for
            for locale, messages in expected.items():
                if set(answer[locale]) != set(case["errors"]) or answer[locale] != messages:
                    differences.append((form, case["case"], locale, answer[locale], messages))
    assert differences == []
