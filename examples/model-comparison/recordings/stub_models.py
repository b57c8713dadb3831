#!/usr/bin/env python3
"""Two stand-in models that wrote the sample answers in this folder (see ../README.md).

Run as an `exec:` provider with the model's name as argument: reads llmops's request JSON on
stdin and prints that model's hand-written answer. "large-model" explains more (more output
tokens) and is right more often than "small-model". Not real models.
"""
import json
import sys

# A keyword of each problem -> (small-model's answer, large-model's answer).
ANSWERS = {
    "pens": ("12 pens is 4 groups of 3, so $8.",
             "12 pens make 4 groups of 3 pens; each group costs $2, so 4 x $2 = $8."),
    "apples": ("15 - 6 = 9 apples.", "He started with 15 and gave away 6: 15 - 6 = 9 apples are left."),
    "train": ("120 / 1.5 = 80 km/h.", "Average speed is distance over time: 120 km / 1.5 h = 80 km/h."),
    "15%": ("0.15 x 240 = 36.", "15% of 240 is 0.15 x 240 = 36."),
    "recipe": ("250 g x 2 = 500 g... about 600 g.",
               "250 g serves 4, so 62.5 g per person; for 10 people, 62.5 x 10 = 625 g."),
    "meeting": ("14:45 plus 95 minutes is 15:80.",
                "95 minutes is 1 h 35 min; 14:45 + 1:35 = 16:20."),
    "rectangle": ("7 x 12 = 84 square metres.", "Area = length x width = 7 m x 12 m = 84 square metres."),
    "seconds": ("3 x 60 = 180 seconds.", "3 hours x 60 minutes x 60 seconds = 10,800 seconds."),
    "jacket": ("25% of $80 is $20, so $60.", "The discount is 25% of $80 = $20; $80 - $20 = $60."),
    "Sara": ("Sara is 28, so in 5 years 28.",
             "Sara is 2 x 14 = 28 now; in 5 years she will be 28 + 5 = 33."),
    "tank": ("12 x 24 = 288, so 288 litres.",
             "One day is 24 hours: 12 x 24 = 288 litres leak, so 500 - 288 = 212 litres are left."),
    "prime": ("The next prime after 89 is 97.",
              "90, 92, 94, 96 are even, 91 = 7 x 13, 93 = 3 x 31, 95 = 5 x 19; the next prime is 97."),
}


def main():
    model = sys.argv[1]
    request = json.load(sys.stdin)
    question = request["messages"][-1]["content"]
    for keyword, (small, large) in ANSWERS.items():
        if keyword in question:
            text = small if model == "small-model" else large
            break
    else:
        text = "I cannot solve this."
    print(json.dumps({
        "output": text,
        "tokenUsage": {"prompt": (len(request["prompt"]) + 3) // 4, "completion": (len(text) + 3) // 4},
    }))


main()
