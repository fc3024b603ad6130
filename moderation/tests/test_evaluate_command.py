import gzip
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from moderation import classifier, evaluation

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_eval.csv"
REQUIRED_KEYS = {"mean_auc", "auc", "leak", "false_holds", "p50_ms", "p99_ms", "per_second", "baseline"}
NEW_KEYS = {"heads", "per_source", "operating_point", "mean_auc_columns"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_model(settings):
    settings.MODERATION_MODEL_PATH = None
    settings.MODERATION_HOLD_THRESHOLD = None
    classifier.reset_model()
    yield
    classifier.reset_model()


def run(*args) -> str:
    out = StringIO()
    call_command("evaluate_moderation", *args, "--latency-samples", "10", stdout=out, stderr=StringIO())
    return out.getvalue()


def run_json(*args) -> dict:
    return json.loads(run(*args, "--json"))


def test_json_report_on_the_fixture_uses_only_the_test_split():
    result = run_json("--data", str(FIXTURE), "--no-baseline")
    assert set(result) >= REQUIRED_KEYS
    assert result["rows"] == 8  # the train row is left out
    assert result["split"] == "test"
    assert result["auc"] == 1.0
    assert set(result["label_columns"]) == {"insult", "threat"}
    assert result["mean_auc"] == pytest.approx(sum(result["label_columns"].values()) / 2, abs=1e-4)
    assert result["baseline"] is None
    assert 0.0 <= result["leak"] <= 1.0 and 0.0 <= result["false_holds"] <= 1.0
    assert result["p50_ms"] > 0 and result["p99_ms"] >= result["p50_ms"] and result["per_second"] > 0


def test_gzip_input_gives_the_same_figures(tmp_path):
    gz = tmp_path / "tiny_eval.csv.gz"
    with FIXTURE.open("rb") as source, gzip.open(gz, "wb") as target:
        shutil.copyfileobj(source, target)
    plain = run_json("--data", str(FIXTURE), "--no-baseline")
    zipped = run_json("--data", str(gz), "--no-baseline")
    for key in ("auc", "mean_auc", "leak", "false_holds", "rows", "label_columns"):
        assert plain[key] == zipped[key]


def test_hold_threshold_option_changes_leak_and_false_holds():
    everything_held = run_json("--data", str(FIXTURE), "--no-baseline", "--hold-threshold", "0")
    assert everything_held["leak"] == 0.0
    assert everything_held["false_holds"] == 1.0
    assert everything_held["hold_threshold"] == 0.0


def test_text_report_mentions_every_figure():
    report = run("--data", str(FIXTURE), "--no-baseline")
    for title in (
        "ROC AUC",
        "mean AUC",
        "AUC insult",
        "leak",
        "false holds",
        "p50 ms",
        "p99 ms",
        "per second",
    ):
        assert title in report


def test_missing_baseline_is_reported_as_null(monkeypatch):
    monkeypatch.setattr(
        "moderation.management.commands.evaluate_moderation.load_baseline", lambda: None, raising=True
    )
    err = StringIO()
    out = StringIO()
    call_command("evaluate_moderation", "--data", str(FIXTURE), "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert result["baseline"] is None
    assert "not installed" in result["baseline_note"]
    assert "not installed" in err.getvalue()


def test_baseline_figures_have_the_same_keys():
    if evaluation.load_baseline() is None:
        pytest.skip("alt-profanity-check is not installed")
    result = run_json("--data", str(FIXTURE))
    assert REQUIRED_KEYS - {"baseline"} <= set(result["baseline"])


def test_functionality_column_gives_accuracy_per_functionality(tmp_path):
    path = tmp_path / "suite.csv"
    path.write_text(
        "text,label,functionality\n"
        "You are a disgusting idiot.,1,insult_h\n"
        "You worthless moron.,1,insult_h\n"
        "I love my neighbours.,0,positive_nh\n"
        "The bus was late again.,0,neutral_nh\n",
        encoding="utf-8",
    )
    result = run_json("--data", str(path), "--no-baseline")
    assert set(result["functionality_accuracy"]) == {"insult_h", "positive_nh", "neutral_nh"}
    assert result["functionality_accuracy"]["insult_h"]["n"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("comment,label\nhello,0\n", "no 'text' column"),
        ("text,score\nhello,0\n", "no 'label' column"),
        ("text,label\n", "no rows"),
        ("text,label,split\nhello,0,train\n", "split == 'test'"),
        ("text,label\nhello,maybe\n", "label must be 0 or 1"),
    ],
)
def test_bad_input_gives_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run("--data", str(path))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        run("--data", str(tmp_path / "nope.csv.gz"))


def test_empty_file_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="no 'text' column"):
        run("--data", str(path))


def test_train_command_rejects_a_missing_data_dir(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        call_command("train_moderation_model", "--data-dir", str(tmp_path / "absent"), stdout=StringIO())


def test_json_report_names_heads_sources_and_the_operating_point():
    result = run_json("--data", str(FIXTURE), "--no-baseline")
    assert set(result) >= NEW_KEYS
    assert result["label_head"] == "toxicity"
    assert result["heads"]["toxicity"]["labels"] == ["label"]  # insult and threat have their own heads
    assert result["heads"]["toxicity"]["auc"] == result["auc"]
    point = result["operating_point"]
    assert set(point["thresholds"]) == {"toxicity", "identity_attack"}
    assert point["target"] == 0.05 and point["from"] == "target"
    assert point["expected"]["false_holds"] == pytest.approx(0.05, abs=0.005)
    assert result["per_source"]["fixture"]["rows"] == 8


def test_mean_auc_averages_harm_columns_only(tmp_path):
    path = tmp_path / "ucc_like.csv"
    path.write_text(
        "text,label,hostile,healthy\n"
        "You are a pathetic idiot.,1,1,0\n"
        "Shut up you moron.,1,1,0\n"
        "Thanks for the article.,0,0,1\n"
        "The bridge opens on Monday.,0,0,1\n",
        encoding="utf-8",
    )
    result = run_json("--data", str(path), "--no-baseline")
    assert set(result["label_columns"]) == {"hostile", "healthy"}
    assert result["mean_auc_columns"] == ["hostile"]
    assert result["mean_auc"] == result["label_columns"]["hostile"]


def test_a_hate_data_set_is_the_identity_heads(tmp_path):
    path = tmp_path / "hateval_like.csv"
    path.write_text("text,label\nMuslims are vermin.,1\nI like my neighbours.,0\n", encoding="utf-8")
    result = run_json("--data", str(path), "--no-baseline")
    assert result["label_head"] == "identity_attack"
    assert set(result["heads"]) == {"identity_attack"}
    assert "auc" in result["heads"]["identity_attack"]


def test_a_target_and_a_fixed_threshold_are_validated():
    with pytest.raises(CommandError, match="--target must be between 0 and 1"):
        run("--data", str(FIXTURE), "--target", "5")
    strict = run_json("--data", str(FIXTURE), "--no-baseline", "--target", "0.01")
    loose = run_json("--data", str(FIXTURE), "--no-baseline", "--target", "0.2")
    assert strict["hold_threshold"] > loose["hold_threshold"]
