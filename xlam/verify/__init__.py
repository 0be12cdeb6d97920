"""Quality verification: rules (with lossless auto-fixes), sandboxed execution, LLM judge.

    from xlam.verify import VerifyConfig, run_verify, verify_record
    verdict = verify_record(record)              # rules (+ execution/judge when configured)
    report = run_verify("data/unified", "data/verified", VerifyConfig(tools="tools.jsonl"),
                        rejects_uri="data/rejected", report_dir="reports/")

Add your own rule with :func:`xlam.verify.rule`.
"""

import xlam.verify.builtin_rules  # noqa: F401 - registers the built-in rules
from xlam.verify.config import VerifyConfig
from xlam.verify.execution import ExecutionOutcome, check_execution
from xlam.verify.issues import Issue, Severity, Stage, Verdict
from xlam.verify.rules import RULES, Rule, RuleContext, prepare_rules, register_rule, rule, run_rules
from xlam.verify.runner import Verifier, annotate, run_verify, verify_record
from xlam.verify.semantic import JUDGE_SYSTEM, JudgeResult, judge_prompt, judge_records, parse_judgement

__all__ = [
    "JUDGE_SYSTEM",
    "RULES",
    "ExecutionOutcome",
    "Issue",
    "JudgeResult",
    "Rule",
    "RuleContext",
    "Severity",
    "Stage",
    "Verdict",
    "Verifier",
    "VerifyConfig",
    "annotate",
    "check_execution",
    "judge_prompt",
    "judge_records",
    "parse_judgement",
    "prepare_rules",
    "register_rule",
    "rule",
    "run_rules",
    "run_verify",
    "verify_record",
]
