"""The phone's checks in a real Chromium: pwa/js/rules.js answers every shared case as the server does.

The cases dated from today are answered with today in Thailand whatever the phone's clock zone: each
run is made on a phone set to UTC+14 and on one set to UTC−12. At any moment one of them is on another
date than Bangkok, so a check that took the phone's own today would fail one of the runs.
"""
import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch_chromium
from tests.support.field_rules import FORMS, load_cases, server_messages

pytestmark = pytest.mark.browser

# Loads the module as the phone does (from the server, as an ES module) and answers every case.
RUN_CASES = """async (cases) => {
  const rules = await import("/static/js/rules.js");
  const check = {
    household: (c, ...locale) => rules.checkHousehold(c.values, ...locale),
    survey: (c, ...locale) => rules.checkSurvey(c.values, c.household, ...locale),
    attendance: (c, ...locale) => rules.checkAttendance(c.values, c.session, ...locale),
  };
  const forms = {};
  for (const form of ["household", "survey", "attendance"]) {
    forms[form] = cases[form].map((c) => ({
      th: check[form](c, "th"), en: check[form](c, "en"), unnamed: check[form](c),
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


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_rules_js_answers_every_case_as_the_file_and_the_server_do(live_server, zone):
    cases = load_cases()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(timezone_id=zone)
        page.goto(f"{live_server}/field/villages/any/households/new")  # a form page: it embeds the checks' words
        answers = page.evaluate(RUN_CASES, cases)
        browser.close()

    assert answers["exports"] == ["checkAttendance", "checkHousehold", "checkSurvey", "isValidCitizenId",
                                  "normalizeCitizenId"]
    assert answers["citizenIds"] == [{"normalized": c["normalized"], "valid": c["valid"]}
                                     for c in cases["citizen_ids"]]
    differences = []
    for form in FORMS:
        for case, answer in zip(cases[form], answers["forms"][form], strict=True):
            expected = {locale: server_messages(form, case, locale) for locale in ("th", "en")}
            expected["unnamed"] = expected["th"]  # Thai unless English is asked for
            for locale, messages in expected.items():
                if set(answer[locale]) != set(case["errors"]) or answer[locale] != messages:
                    differences.append((form, case["case"], locale, answer[locale], messages))
    assert differences == []
