"""Starter configs that `ffnet init` writes: commented YAML, one per kind of problem.

Each names its data file next to the config (paths in a config are relative to its folder); the
tests write such a file and train every template.
"""

HEADER = """\
# Written by `ffnet init {name}`. Point data.train at your CSV (header row, one
# example per row), then run:  ffnet train THIS_FILE
# Every key and its default: `ffnet schema`, and the README's "Config reference".
# Change one for a single run: ffnet train THIS_FILE --set train.epochs=50
"""

TRAIN = """\
train:
  epochs: {epochs}
  batch_size: {batch_size:<15}# rows per gradient step; larger than the data = full batch
  learning_rate: {learning_rate:<12}# the step size; lower it if the loss jumps or diverges
  optimizer: {optimizer:<16}# sgd | adam | rmsprop (or {{name: sgd, momentum: 0.9}})
  {early_stopping}
  # l2: 0.0001               # weight decay: J + l2/2 * sum of squared weights
  # schedule: cosine         # constant | step | exponential | inverse_time | cosine | plateau
output:
  dir: null                  # default: runs/<this file's name> in the current folder
"""

STOP = "early_stopping: {monitor: val_loss, patience: 20}  # stop when validation stops improving"

TEMPLATES = {
    "classification": """\
# A classifier: each row belongs to one of several classes (softmax output,
# cross-entropy loss); the class labels may be words or numbers.
seed: 0                      # every random choice (split, init, shuffling) derives from it
data:
  train: train.csv           # relative to this file's folder; '-' reads stdin
  # target: label            # the class column; default: the last column
  # features: [x1, x2]       # default: every other column
  validation_split: 0.2      # hold out 20% of the rows to measure generalisation
  standardize: true          # z-score numeric features (the statistics go into the model)
  missing: error             # empty/NA cells: error | drop (the row) | impute (the mean)
model:
  hidden:                    # hidden layers, input side first
    - {units: 32, activation: relu}     # relu | tanh | sigmoid | linear; dropout: 0.1
    - {units: 16, activation: relu}
  output: softmax            # one unit per class, probabilities that sum to 1
""" + TRAIN.format(epochs=200, batch_size=32, learning_rate=0.001, optimizer="adam", early_stopping=STOP),

    "regression": """\
# Regression: predict a number (linear output, squared-error loss).
seed: 0
data:
  train: train.csv           # relative to this file's folder
  # target: y                # the column to predict; default: the last column
  validation_split: 0.2
  standardize: true          # z-score the features; ffnet leaves the target as it is
model:
  hidden:
    - {units: 32, activation: tanh}
    - {units: 32, activation: tanh}
  output: linear             # one unit per target column
""" + TRAIN.format(epochs=300, batch_size=32, learning_rate=0.001, optimizer="adam", early_stopping=STOP),

    "multilabel": """\
# Multi-label: several 0/1 target columns, any number of them 1 at once
# (one sigmoid unit per column, log loss summed over the columns).
seed: 0
data:
  train: train.csv           # relative to this file's folder
  target: [a, b, c]          # the 0/1 label columns: put yours here
  validation_split: 0.2
  standardize: true
model:
  hidden:
    - {units: 32, activation: relu}
  output: sigmoid            # independent probabilities, one per target column
""" + TRAIN.format(epochs=200, batch_size=32, learning_rate=0.001, optimizer="adam", early_stopping=STOP),

    "xor": """\
# XOR, the lecture's example: no line separates the classes, one relu hidden
# layer does. Save these five lines as xor.csv next to this file:
#   x1,x2,y
#   0,0,0
#   0,1,1
#   1,0,1
#   1,1,0
seed: 0
data:
  train: xor.csv
  target: y
  standardize: false         # the inputs are 0 and 1 already
model:
  hidden:
    - {units: 16, activation: relu}    # 2 units can solve XOR, but rarely from a random start
  output: sigmoid            # one unit: the probability of class 1
train:
  epochs: 500
  batch_size: 4              # all four rows: full-batch gradient descent
  learning_rate: 0.5
  optimizer: sgd
  dtype: float64
""",
}


def template(name: str) -> str:
    """The starter config called name (a key of TEMPLATES)."""
    return HEADER.format(name=name) + TEMPLATES[name]
