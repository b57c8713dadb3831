# Python assertions for tests/unit/eval/test_script.cpp, in promptfoo's get_assert(output,
# context) form. Line numbers matter: a test quotes the line that raises.
import time


def get_assert(output, context):
    return "Paris" in output


def score(output, context):
    return 0.25 if "Paris" in output else 0.0


def verdict(output, context):
    return {"pass": "Paris" in output, "score": 0.9, "reason": "looked for Paris"}


def broken(output, context):
    raise ValueError("no verdict today")


def hang(output, context):
    time.sleep(30)
    return True


def chatty(output, context):
    print("noise on stdout must not spoil the answer")
    return True


def nothing(output, context):
    return None


def uses_context(output, context):
    city = context["vars"]["city"]
    strict = context["config"]["strict"]
    cached = context["providerResponse"]["cached"]
    return {"pass": city in output and strict and not cached, "score": 1,
            "reason": "looked for " + city}
