"""The whole app: one alarm topic for every alarm of every stack, and each alarm setting's bad
value stops synth with one line."""

from __future__ import annotations

import pytest

from infra.config import AppConfig, ConfigError
from tests.infra.conftest import Synth, cdk_json_context, resources
from tests.infra.conftest import run_app as _run_app


def test_the_app_has_one_alarm_topic_and_every_alarm_notifies_it(synth: Synth):
    topics = {
        (stack.stack_name, name)
        for stack in synth.stacks.all()
        for name in resources(synth.template(stack), "AWS::SNS::Topic")
    }
    assert len(topics) == 1
    ((owner, topic),) = topics
    assert owner == synth.stacks.backend.stack_name
    alarms = {
        (stack.stack_name, name): alarm
        for stack in synth.stacks.all()
        for name, alarm in resources(synth.template(stack), "AWS::CloudWatch::Alarm").items()
    }
    assert len(alarms) == 8
    for (stack_name, name), alarm in alarms.items():
        assert stack_name == owner, name
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}], name


def test_the_backend_has_one_dashboard(synth: Synth):
    assert len(resources(synth.template(synth.stacks.backend), "AWS::CloudWatch::Dashboard")) == 1


@pytest.mark.parametrize(
    ("context", "line"),
    [
        ({"app:alarmEmail": "ops@"}, "error: app:alarmEmail=ops@: not an email address"),
        (
            {"app:alarmErrorRatePercent": "0"},
            "error: app:alarmErrorRatePercent=0: must be 1..50 %",
        ),
        (
            {"app:alarmLatencyP99Ms": "30000"},
            "error: app:alarmLatencyP99Ms=30000: must be 100..29000 ms (API Gateway answers "
            "every request within 29 s)",
        ),
        ({"app:alarmCpuPercent": "101"}, "error: app:alarmCpuPercent=101: must be 50..100 %"),
        (
            {"app:alarmCpuPercent": "60", "app:cpuTargetPercent": "60"},
            "error: app:alarmCpuPercent=60: must be above cpuTargetPercent=60",
        ),
        (
            {"app:alarmMemoryPercent": "lots"},
            "error: app:alarmMemoryPercent=lots: must be a whole number",
        ),
    ],
)
def test_a_bad_alarm_setting_stops_synth_with_one_line(tmp_path, context, line):
    result = _run_app(context, tmp_path)
    assert result.returncode == 1
    errors = [row for row in result.stderr.splitlines() if row.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(line)
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


def test_an_address_is_accepted_and_blank_means_none():
    chosen = AppConfig.from_context({**cdk_json_context(), "app:alarmEmail": "ops@example.com"})
    assert chosen.alarms.email == "ops@example.com"
    assert AppConfig.from_context({"app:alarmEmail": " "}).alarms.email is None


def test_the_cpu_alarm_may_sit_just_above_the_scaling_target():
    chosen = AppConfig.from_context({"app:cpuTargetPercent": "60", "app:alarmCpuPercent": "61"})
    assert chosen.alarms.cpu_percent == 61
    with pytest.raises(ConfigError):
        AppConfig.from_context({"app:cpuTargetPercent": "70", "app:alarmCpuPercent": "70"})
