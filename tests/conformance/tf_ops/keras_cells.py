"""Op cells: keras (see cells.py for what a cell is and how its text was confirmed).

`tf.keras` against TensorFlow 2.21's Keras 3: optimizers' variables after three steps of
`apply_gradients`, learning-rate schedules at several steps, clipping, losses (function and
class forms, reductions, sample weights), metrics' running values, layers with fixed weights
and `fit`/`evaluate`/`predict` of small models. Weights are set explicitly (no random draws)
and floats are printed rounded with numpy, so the text depends only on the arithmetic. An
error is printed by its class only.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

# Three steps of apply_gradients on one variable, then its value and the step count.
_STEPS = """
v = tf.Variable([1.0, -2.0, 3.0])
for g in ([0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [1.0, 1.0, 1.0]):
    opt.apply_gradients([(tf.constant(g), v)])
print(np.round(v.numpy(), 5))
print(int(opt.iterations.numpy()))
"""


def _opt(make: str) -> str:
    return f"opt = {make}\n" + _STEPS


CELLS: list[Cell] = _cells(
    "keras",
    ('SGD plain', _opt("tf.keras.optimizers.SGD(learning_rate=0.1)"), """[ 0.84 -2.02  2.73]
3
"""),
    ('SGD momentum', _opt("tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)"), """[ 0.7455 -1.867   2.415 ]
3
"""),
    ('SGD nesterov', _opt("tf.keras.optimizers.SGD(0.1, momentum=0.5, nesterov=True)"), """[ 0.73875 -1.9975   2.5275 ]
3
"""),
    ('Adam defaults', _opt("tf.keras.optimizers.Adam(learning_rate=0.1)"), """[ 0.7346  -1.86546  2.77819]
3
"""),
    ('Adam betas and epsilon', _opt(
        "tf.keras.optimizers.Adam(0.05, beta_1=0.5, beta_2=0.9, epsilon=0.1)"), """[ 0.91029 -1.97516  2.91594]
3
"""),
    ('Adam amsgrad', _opt("tf.keras.optimizers.Adam(0.1, amsgrad=True)"), """[ 0.7346  -1.86546  2.77819]
3
"""),
    ('AdamW weight decay', _opt("tf.keras.optimizers.AdamW(0.1, weight_decay=0.1)"), """[ 0.70769 -1.80855  2.69163]
3
"""),
    ('AdamW default decay', _opt("tf.keras.optimizers.AdamW(0.1)"), """[ 0.73351 -1.86316  2.77469]
3
"""),
    ('Adam weight_decay', _opt("tf.keras.optimizers.Adam(0.1, weight_decay=0.5)"), """[ 0.60574 -1.59251  2.36282]
3
"""),
    ('RMSprop defaults', _opt("tf.keras.optimizers.RMSprop(learning_rate=0.1)"), """[ 0.33124 -1.98175  2.58103]
3
"""),
    ('RMSprop rho momentum', _opt("tf.keras.optimizers.RMSprop(0.1, rho=0.5, momentum=0.9)"),
     """[ 0.40674 -1.81537  2.57361]
3
"""),
    ('RMSprop centered', _opt("tf.keras.optimizers.RMSprop(0.1, centered=True)"), """[ 0.27864 -1.96728  2.55474]
3
"""),
    ('Adagrad', _opt("tf.keras.optimizers.Adagrad(learning_rate=0.5)"), """[ 0.06534 -1.95872  2.35994]
3
"""),
    ('Adagrad initial accumulator', _opt(
        "tf.keras.optimizers.Adagrad(0.5, initial_accumulator_value=1.0, epsilon=0.01)"), """[ 0.40105 -2.00347  2.41721]
3
"""),
    ('Adamax', _opt("tf.keras.optimizers.Adamax(learning_rate=0.1)"), """[ 0.78688 -1.87677  2.81704]
3
"""),
    ('Nadam', _opt("tf.keras.optimizers.Nadam(learning_rate=0.1)"), """[ 0.76719 -1.97734  2.84865]
3
"""),
    ('Adadelta', _opt("tf.keras.optimizers.Adadelta(learning_rate=1.0, rho=0.9)"), """[ 0.99743 -2.00033  2.99855]
3
"""),
    ('Ftrl', _opt("tf.keras.optimizers.Ftrl(learning_rate=0.5)"), """[-0.46918 -1.3557   1.89142]
3
"""),
    ('Ftrl l1 l2', _opt("tf.keras.optimizers.Ftrl(0.5, l1_regularization_strength=0.1, "
                        "l2_regularization_strength=0.2, learning_rate_power=-0.5)"), """[-0.3474  -1.11239  1.69697]
3
"""),
    ('Lion', _opt("tf.keras.optimizers.Lion(learning_rate=0.1)"), """[ 0.7 -2.1  2.9]
3
"""),
    ('Nadam betas on two variables', """
a = tf.Variable([1.0, -2.0])
b = tf.Variable([[0.5], [0.25]])
opt = tf.keras.optimizers.Nadam(0.05, beta_1=0.8, beta_2=0.9)
for k in range(3):
    opt.apply_gradients([(tf.constant([1.0, k - 1.0]), a), (tf.constant([[0.3], [-0.2]]), b)])
print(np.round(a.numpy(), 5), np.round(b.numpy().ravel(), 5))
""", """[ 0.8596  -1.97805] [0.3596 0.3904]
"""),
    ('optimizers by name', """
for name in ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam", "adadelta",
             "ftrl", "lion"):
    opt = tf.keras.optimizers.get(name)
    print(type(opt).__name__, round(float(opt.learning_rate.numpy()), 6))
""", """SGD 0.01
Adam 0.001
AdamW 0.001
RMSprop 0.001
Adagrad 0.001
Adamax 0.001
Nadam 0.001
Adadelta 0.001
Ftrl 0.001
Lion 0.001
"""),
    ('clipnorm clips each gradient', _opt("tf.keras.optimizers.SGD(1.0, clipnorm=1.0)"), """[ 0.10443 -2.34091  1.84978]
3
"""),
    ('clipvalue', _opt("tf.keras.optimizers.SGD(1.0, clipvalue=0.5)"), """[-0.1 -2.2  2.3]
3
"""),
    ('global_clipnorm', """
a = tf.Variable([1.0, 2.0])
b = tf.Variable([3.0])
opt = tf.keras.optimizers.SGD(1.0, global_clipnorm=1.0)
opt.apply_gradients([(tf.constant([3.0, 0.0]), a), (tf.constant([4.0]), b)])
print(np.round(a.numpy(), 5), np.round(b.numpy(), 5))
""", """[0.4 2. ] [2.2]
"""),
    ('iterations is an int64 variable', """
v = tf.Variable([1.0])
opt = tf.keras.optimizers.SGD(0.1)
print(opt.iterations.numpy().dtype)
opt.apply_gradients([(tf.constant([1.0]), v)])
opt.apply_gradients([(tf.constant([1.0]), v)])
print(opt.iterations.numpy())
""", """int64
2
"""),
    ('optimizer variables count', """
a = tf.Variable([1.0, 2.0])
b = tf.Variable(3.0)
for opt in (tf.keras.optimizers.SGD(0.1), tf.keras.optimizers.SGD(0.1, momentum=0.9),
            tf.keras.optimizers.Adam(0.1), tf.keras.optimizers.Adam(0.1, amsgrad=True),
            tf.keras.optimizers.RMSprop(0.1, momentum=0.5, centered=True),
            tf.keras.optimizers.Adagrad(0.1), tf.keras.optimizers.Nadam(0.1),
            tf.keras.optimizers.Ftrl(0.1), tf.keras.optimizers.Lion(0.1)):
    opt.build([a, b])
    print(type(opt).__name__, len(opt.variables))
""", """SGD 2
SGD 4
Adam 6
Adam 8
RMSprop 8
Adagrad 4
Nadam 7
Ftrl 6
Lion 4
"""),
    ('learning rate as a variable', """
v = tf.Variable([1.0])
opt = tf.keras.optimizers.SGD(0.1)
opt.apply_gradients([(tf.constant([1.0]), v)])
opt.learning_rate = 0.5
opt.apply_gradients([(tf.constant([1.0]), v)])
print(np.round(v.numpy(), 5), np.round(float(opt.learning_rate.numpy()), 5))
""", """[0.4] 0.5
"""),
    ('ExponentialDecay', """
s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
print([round(float(s(k)), 6) for k in (0, 1, 5, 10, 25)])
s = tf.keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
print([round(float(s(k)), 6) for k in (0, 9, 10, 19, 25)])
""", """[0.1, 0.093303, 0.070711, 0.05, 0.017678]
[0.1, 0.1, 0.05, 0.05, 0.025]
"""),
    ('PiecewiseConstantDecay', """
s = tf.keras.optimizers.schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
print([round(float(s(k)), 6) for k in (0, 5, 6, 10, 11, 100)])
""", """[1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
"""),
    ('CosineDecay', """
s = tf.keras.optimizers.schedules.CosineDecay(0.1, decay_steps=10)
print([round(float(s(k)), 6) for k in (0, 2, 5, 10, 20)])
s = tf.keras.optimizers.schedules.CosineDecay(0.1, 10, alpha=0.2)
print([round(float(s(k)), 6) for k in (0, 5, 10)])
s = tf.keras.optimizers.schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=4)
print([round(float(s(k)), 6) for k in (0, 2, 4, 9, 14, 20)])
""", """[0.1, 0.090451, 0.05, 0.0, 0.0]
[0.1, 0.06, 0.02]
[0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
"""),
    ('InverseTimeDecay', """
s = tf.keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
print([round(float(s(k)), 6) for k in (0, 5, 10, 25)])
s = tf.keras.optimizers.schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)
print([round(float(s(k)), 6) for k in (0, 9, 10, 25)])
""", """[0.1, 0.08, 0.066667, 0.044444]
[0.1, 0.1, 0.066667, 0.05]
"""),
    ('PolynomialDecay', """
s = tf.keras.optimizers.schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01)
print([round(float(s(k)), 6) for k in (0, 5, 10, 20)])
s = tf.keras.optimizers.schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0)
print([round(float(s(k)), 6) for k in (0, 5, 10, 20)])
s = tf.keras.optimizers.schedules.PolynomialDecay(0.1, 10, 0.01, cycle=True)
print([round(float(s(k)), 6) for k in (0, 5, 10, 15, 25)])
""", """[0.1, 0.055, 0.01, 0.01]
[0.1, 0.0325, 0.01, 0.01]
[0.1, 0.055, 0.01, 0.0325, 0.025]
"""),
    ('schedule drives the optimizer', """
s = tf.keras.optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
opt = tf.keras.optimizers.SGD(s)
v = tf.Variable([0.0])
for _ in range(3):
    opt.apply_gradients([(tf.constant([1.0]), v)])
print(np.round(v.numpy(), 5))
""", """[-1.75]
"""),
)

# ---- losses -------------------------------------------------------------------------------------

_REG = """
y_true = np.array([[0.0, 1.0, 2.0], [1.5, -1.0, 0.5]], np.float32)
y_pred = np.array([[0.5, 1.0, 1.0], [1.0, 0.5, 0.75]], np.float32)
"""
_POS = """
y_true = np.array([[0.5, 1.0, 2.0], [1.5, 3.0, 0.5]], np.float32)
y_pred = np.array([[0.25, 1.5, 1.0], [2.0, 0.5, 0.75]], np.float32)
"""
_PROB = """
y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
y_pred = np.array([[0.2, 0.7, 0.1], [0.25, 0.5, 0.25]], np.float32)
"""


def _loss(data: str, cls: str, fn: str) -> str:
    """The class under each reduction, with a sample weight, and the function form."""
    return data + f"""
for reduction in ("sum_over_batch_size", "sum", "none"):
    loss = tf.keras.losses.{cls}(reduction=reduction)
    print(reduction, np.round(loss(y_true, y_pred).numpy(), 5))
print("weighted", np.round(tf.keras.losses.{cls}()(y_true, y_pred,
                                                  sample_weight=[0.25, 2.0]).numpy(), 5))
print("function", np.round(tf.keras.losses.{fn}(y_true, y_pred).numpy(), 5))
"""


CELLS += _cells(
    "keras",
    ('MeanSquaredError', _loss(_REG, "MeanSquaredError", "mse"), """sum_over_batch_size 0.63542
sum 1.27083
none [0.41667 0.85417]
weighted 0.90625
function [0.41667 0.85417]
"""),
    ('MeanAbsoluteError', _loss(_REG, "MeanAbsoluteError", "mae"), """sum_over_batch_size 0.625
sum 1.25
none [0.5  0.75]
weighted 0.8125
function [0.5  0.75]
"""),
    ('MeanAbsolutePercentageError', _loss(_POS, "MeanAbsolutePercentageError",
                                          "mape"), """sum_over_batch_size 52.77778
sum 105.55556
none [50.      55.55556]
weighted 61.80556
function [50.      55.55556]
"""),
    ('MeanSquaredLogarithmicError', _loss(_POS, "MeanSquaredLogarithmicError",
                                          "msle"), """sum_over_batch_size 0.21108
sum 0.42216
none [0.08248 0.33968]
weighted 0.34999
function [0.08248 0.33968]
"""),
    ('Huber', _loss(_REG, "Huber", "huber"), """sum_over_batch_size 0.29688
sum 0.59375
none [0.20833 0.38542]
weighted 0.41146
function [0.20833 0.38542]
"""),
    ('Huber delta', _REG + """
print(np.round(tf.keras.losses.Huber(delta=0.5)(y_true, y_pred).numpy(), 5))
print(np.round(tf.keras.losses.huber(y_true, y_pred, delta=0.25).numpy(), 5))
""", """0.21354
[0.10417 0.15625]
"""),
    ('LogCosh', _loss(_REG, "LogCosh", "logcosh"), """sum_over_batch_size 0.26006
sum 0.52013
none [0.18463 0.33549]
weighted 0.35857
function [0.18463 0.33549]
"""),
    ('BinaryCrossentropy', _loss(_PROB, "BinaryCrossentropy", "binary_crossentropy"), """sum_over_batch_size 0.50872
sum 1.01743
none [0.22839 0.78904]
weighted 0.81759
function [0.22839 0.78904]
"""),
    ('BinaryCrossentropy from logits and smoothing', """
y_true = np.array([[0.0, 1.0], [1.0, 1.0]], np.float32)
logits = np.array([[-1.5, 2.0], [0.5, -30.0]], np.float32)
print(np.round(tf.keras.losses.BinaryCrossentropy(from_logits=True)(y_true, logits).numpy(), 5))
print(np.round(tf.keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)(
    y_true, logits).numpy(), 5))
print(np.round(tf.keras.losses.binary_crossentropy(y_true, tf.sigmoid(logits),
                                                   label_smoothing=0.1).numpy(), 5))
print(np.round(tf.keras.losses.binary_crossentropy(y_true, [[0.0, 1.0], [1.0, 0.0]]).numpy(), 4))
""", """7.7006
7.0506
[0.25167 7.90563]
[0.    8.059]
"""),
    ('CategoricalCrossentropy', _loss(_PROB, "CategoricalCrossentropy",
                                      "categorical_crossentropy"), """sum_over_batch_size 0.87148
sum 1.74297
none [0.35667 1.38629]
weighted 1.43088
function [0.35667 1.38629]
"""),
    ('CategoricalCrossentropy logits, smoothing, axis', """
y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
logits = np.array([[1.0, 3.0, -1.0], [0.5, 0.5, 2.0]], np.float32)
print(np.round(tf.keras.losses.CategoricalCrossentropy(from_logits=True)(y_true, logits).numpy(), 5))
print(np.round(tf.keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3)(
    y_true, logits).numpy(), 5))
print(np.round(tf.keras.losses.categorical_crossentropy(y_true.T, tf.nn.softmax(logits.T, axis=0),
                                                        axis=0).numpy(), 5))
print(np.round(tf.keras.losses.categorical_crossentropy(y_true, [[2.0, 6.0, 2.0], [1.0, 1.0, 2.0]]).numpy(), 5))
""", """1.00596
1.23096
[0.14293 1.86898]
[0.51083 1.38629]
"""),
    ('SparseCategoricalCrossentropy', """
labels = np.array([1, 0, 2])
probs = np.array([[0.2, 0.7, 0.1], [0.25, 0.5, 0.25], [0.1, 0.1, 0.8]], np.float32)
for reduction in ("sum_over_batch_size", "sum", "none"):
    loss = tf.keras.losses.SparseCategoricalCrossentropy(reduction=reduction)
    print(reduction, np.round(loss(labels, probs).numpy(), 5))
print(np.round(tf.keras.losses.SparseCategoricalCrossentropy()(labels, probs,
                                                               sample_weight=[1.0, 0.0, 3.0]).numpy(), 5))
print(np.round(tf.keras.losses.sparse_categorical_crossentropy(labels[:, None], probs).numpy(), 5))
print(np.round(tf.keras.losses.sparse_categorical_crossentropy(labels, 2 * probs).numpy(), 5))
""", """sum_over_batch_size 0.65537
sum 1.96611
none [0.35667 1.38629 0.22314]
0.34204
[0.35667 1.38629 0.22314]
[0.47    1.38629 0.33647]
"""),
    ('SparseCategoricalCrossentropy from logits, ignore_class', """
labels = np.array([1, 0, 2])
logits = np.array([[1.0, 3.0, -1.0], [0.5, 0.5, 2.0], [0.0, 0.0, 0.0]], np.float32)
print(np.round(tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits).numpy(), 5))
loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
print(np.round(loss(labels, logits).numpy(), 5))
loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, reduction="none")
print(np.round(loss(labels, logits).numpy(), 5))
""", """1.03684
0.62077
[0.14293 0.      1.09861]
"""),
    ('KLDivergence', _loss(_PROB.replace("[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]",
                                         "[0.1, 0.8, 0.1], [0.6, 0.2, 0.2]"),
                           "KLDivergence", "kld"), """sum_over_batch_size 0.16745
sum 0.3349
none [0.03751 0.29739]
weighted 0.30208
function [0.03751 0.29739]
"""),
    ('Poisson', _loss(_POS, "Poisson", "poisson"), """sum_over_batch_size 1.24521
sum 2.49041
none [1.01256 1.47785]
weighted 1.60442
function [1.01256 1.47785]
"""),
    ('CosineSimilarity', _loss(_REG, "CosineSimilarity", "cosine_similarity"), """sum_over_batch_size -0.72017
sum -1.44035
none [-0.89443 -0.54592]
weighted -0.65772
function [-0.89443 -0.54592]
"""),
    ('CosineSimilarity axis', _REG + """
print(np.round(tf.keras.losses.CosineSimilarity(axis=0)(y_true, y_pred).numpy(), 5))
""", """-0.71076
"""),
    ('Hinge', _loss(_REG.replace("[0.0, 1.0, 2.0], [1.5, -1.0, 0.5]",
                                 "[0.0, 1.0, 1.0], [1.0, -1.0, 0.0]"), "Hinge", "hinge"), """sum_over_batch_size 0.58333
sum 1.16667
none [0.33333 0.83333]
weighted 0.875
function [0.33333 0.83333]
"""),
    ('SquaredHinge', _loss(_REG.replace("[0.0, 1.0, 2.0], [1.5, -1.0, 0.5]",
                                        "[0.0, 1.0, 1.0], [1.0, -1.0, 0.0]"),
                           "SquaredHinge", "squared_hinge"), """sum_over_batch_size 0.70833
sum 1.41667
none [0.33333 1.08333]
weighted 1.125
function [0.33333 1.08333]
"""),
    ('CategoricalHinge', _loss(_PROB, "CategoricalHinge", "categorical_hinge"), """sum_over_batch_size 0.875
sum 1.75
none [0.5  1.25]
weighted 1.3125
function [0.5  1.25]
"""),
    ('loss names and get', """
for name in ("mse", "mae", "mape", "msle", "huber", "log_cosh", "binary_crossentropy",
             "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
             "poisson", "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge"):
    print(name, getattr(tf.keras.losses.get(name), "__name__", None))
print(tf.keras.losses.MeanSquaredError().name, tf.keras.losses.Huber().name,
      tf.keras.losses.BinaryCrossentropy().name, tf.keras.losses.KLDivergence().name)
""", """mse mean_squared_error
mae mean_absolute_error
mape mean_absolute_percentage_error
msle mean_squared_logarithmic_error
huber huber
log_cosh log_cosh
binary_crossentropy binary_crossentropy
categorical_crossentropy categorical_crossentropy
sparse_categorical_crossentropy sparse_categorical_crossentropy
kl_divergence kl_divergence
poisson poisson
cosine_similarity cosine_similarity
hinge hinge
squared_hinge squared_hinge
categorical_hinge categorical_hinge
mean_squared_error huber_loss binary_crossentropy kl_divergence
"""),
    ('loss sample weight per element', _REG + """
w = np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 0.5]], np.float32)
try:
    tf.keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=w)
except (tf.errors.InvalidArgumentError, ValueError) as e:
    print(type(e).__name__)
print(np.round(tf.keras.losses.MeanSquaredError(reduction="none")(y_true, y_pred,
                                                                  sample_weight=[[2.0], [1.0]]).numpy(), 5))
""", """InvalidArgumentError
[[0.83333]
 [0.85417]]
"""),
    ('loss 1-D targets against a column', """
y = np.array([1.0, 0.0], np.float32)
print(np.round(tf.keras.losses.MeanSquaredError()(y, np.array([[1.5], [1.0]], np.float32)).numpy(), 5))
print(np.round(tf.keras.losses.BinaryCrossentropy()(y, np.array([[0.8], [0.3]], np.float32)).numpy(), 5))
""", """0.625
0.28991
"""),
)

# ---- metrics ------------------------------------------------------------------------------------

CELLS += _cells(
    "keras",
    ('Mean and Sum with weights and reset', """
m = tf.keras.metrics.Mean()
m.update_state([1.0, 2.0, 3.0])
m.update_state([10.0], sample_weight=[0.5])
print(np.round(float(m.result()), 5))
m.reset_state()
print(float(m.result()))
s = tf.keras.metrics.Sum()
s.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.5])
print(float(s.result()))
""", """3.14286
0.0
6.5
"""),
    ('Accuracy and BinaryAccuracy', """
a = tf.keras.metrics.Accuracy()
a.update_state([1, 2, 3, 4], [1, 2, 0, 4])
print(float(a.result()))
a.update_state([1, 2], [0, 0], sample_weight=[1.0, 3.0])
print(np.round(float(a.result()), 5))
b = tf.keras.metrics.BinaryAccuracy()
b.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.6], [0.4], [0.3], [0.5]])
print(float(b.result()))
b = tf.keras.metrics.BinaryAccuracy(threshold=0.35)
b.update_state([[1.0], [0.0], [1.0], [0.0]], [[0.6], [0.4], [0.3], [0.5]])
print(float(b.result()))
""", """0.75
0.375
0.75
0.25
"""),
    ('CategoricalAccuracy and SparseCategoricalAccuracy', """
probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]], np.float32)
c = tf.keras.metrics.CategoricalAccuracy()
c.update_state([[0, 1, 0], [0, 0, 1], [0, 0, 1]], probs)
print(np.round(float(c.result()), 5))
s = tf.keras.metrics.SparseCategoricalAccuracy()
s.update_state([1, 2, 2], probs, sample_weight=[1.0, 1.0, 2.0])
print(float(s.result()))
s.update_state([[0], [0], [0]], probs)
print(np.round(float(s.result()), 5))
""", """0.66667
0.75
0.57143
"""),
    ('TopKCategoricalAccuracy', """
probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]], np.float32)
t = tf.keras.metrics.TopKCategoricalAccuracy(k=2)
t.update_state([[1, 0, 0], [0, 0, 1], [0, 1, 0]], probs)
print(np.round(float(t.result()), 5))
t = tf.keras.metrics.SparseTopKCategoricalAccuracy(k=1)
t.update_state([1, 0, 1], probs)
print(np.round(float(t.result()), 5))
""", """0.66667
0.66667
"""),
    ('Precision and Recall', """
y = np.array([1, 0, 1, 1, 0, 0], np.float32)
p = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.5], np.float32)
for m in (tf.keras.metrics.Precision(), tf.keras.metrics.Recall(),
          tf.keras.metrics.Precision(thresholds=0.3), tf.keras.metrics.Recall(thresholds=0.8)):
    m.update_state(y, p)
    print(type(m).__name__, np.round(float(m.result()), 5))
m = tf.keras.metrics.Precision()
m.update_state(y, p, sample_weight=[1.0, 3.0, 1.0, 1.0, 1.0, 1.0])
print(np.round(float(m.result()), 5))
m.reset_state()
print(float(m.result()))
""", """Precision 0.66667
Recall 0.66667
Precision 0.6
Recall 0.33333
0.4
0.0
"""),
    ('AUC', """
y = np.array([1, 0, 1, 1, 0, 0], np.float32)
p = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.5], np.float32)
m = tf.keras.metrics.AUC()
m.update_state(y, p)
print(np.round(float(m.result()), 4))
m = tf.keras.metrics.AUC(curve="PR")
m.update_state(y, p)
print(np.round(float(m.result()), 4))
""", """0.7778
0.8512
"""),
    ('MeanSquaredError and RootMeanSquaredError metrics', """
y = np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)
p = np.array([[0.5, 1.0], [1.0, 5.0]], np.float32)
m = tf.keras.metrics.MeanSquaredError()
m.update_state(y, p)
print(np.round(float(m.result()), 5))
r = tf.keras.metrics.RootMeanSquaredError()
r.update_state(y, p)
print(np.round(float(r.result()), 5))
r.update_state(y, p, sample_weight=[1.0, 0.0])
print(np.round(float(r.result()), 5))
a = tf.keras.metrics.MeanAbsoluteError()
a.update_state(y, p, sample_weight=[2.0, 1.0])
print(np.round(float(a.result()), 5))
""", """1.3125
1.14564
0.95743
0.66667
"""),
    ('metric names and variables', """
for m in (tf.keras.metrics.Mean(), tf.keras.metrics.Accuracy(), tf.keras.metrics.BinaryAccuracy(),
          tf.keras.metrics.SparseCategoricalAccuracy(), tf.keras.metrics.MeanSquaredError(),
          tf.keras.metrics.RootMeanSquaredError(), tf.keras.metrics.TopKCategoricalAccuracy()):
    print(m.name, len(m.variables))
# (Keras numbers the names of later Precision/Recall instances: precision_1, ...)
print(len(tf.keras.metrics.Precision().variables), len(tf.keras.metrics.Recall().variables),
      len(tf.keras.metrics.AUC().variables))
""", """mean 2
accuracy 2
binary_accuracy 2
sparse_categorical_accuracy 2
mean_squared_error 2
root_mean_squared_error 2
top_k_categorical_accuracy 2
2 2 4
"""),
    ('metric called directly returns the running result', """
m = tf.keras.metrics.Mean()
print(float(m([1.0, 3.0])), float(m([5.0])))
""", """2.0 3.0
"""),
    ('Mean counts examples, not elements', """
m = tf.keras.metrics.Mean()
m.update_state([[1.0, 2.0, 3.0]])
m.update_state([10.0])
print(float(m.result()))
m = tf.keras.metrics.Mean()
m.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.5])
print(np.round(float(m.result()), 5))
m.update_state([1.0, 2.0, 3.0], sample_weight=2.0)
print(np.round(float(m.result()), 5))
""", """6.0
2.16667
2.07143
"""),
)

# ---- layers -------------------------------------------------------------------------------------

_C = "tf.keras.initializers.Constant"
CELLS += _cells(
    "keras",
    ('Dense with constant weights, activation and no bias', f"""
x = np.array([[1.0, -2.0, 0.5]], np.float32)
d = tf.keras.layers.Dense(2, activation="relu", kernel_initializer={_C}(0.5),
                          bias_initializer={_C}(-0.25))
print(np.round(d(x).numpy(), 5))
d = tf.keras.layers.Dense(2, use_bias=False)
d.build((None, 3))
d.set_weights([np.arange(6, dtype=np.float32).reshape(3, 2)])
print(d(x).numpy())
print([w.shape for w in d.weights], d.count_params())
""", """[[0. 0.]]
[[-2.  -2.5]]
[TensorShape([3, 2])] 6
"""),
    ('Dense weights names, order and get_weights', f"""
d = tf.keras.layers.Dense(2, kernel_initializer={_C}(1.0), name="dense_a")
d.build((None, 3))
print([w.name for w in d.weights])
print([w.path for w in d.weights])
print([np.round(w, 5).tolist() for w in d.get_weights()])
print(len(d.trainable_weights), len(d.non_trainable_weights))
""", """['kernel', 'bias']
['dense_a/kernel', 'dense_a/bias']
[[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [0.0, 0.0]]
2 0
"""),
    ('Dense on a rank-3 input', f"""
d = tf.keras.layers.Dense(2, kernel_initializer={_C}(0.5))
print(d(np.ones((2, 3, 4), np.float32)).shape)
""", """(2, 3, 2)
"""),
    ('Conv2D valid and same with strides', f"""
x = np.arange(2 * 5 * 5 * 1, dtype=np.float32).reshape(2, 5, 5, 1) / 10
c = tf.keras.layers.Conv2D(2, 3, kernel_initializer={_C}(0.1), bias_initializer={_C}(0.5))
y = c(x)
print(y.shape, np.round(y.numpy()[0, :, :, 0], 4).tolist())
c = tf.keras.layers.Conv2D(1, (2, 2), strides=2, padding="same", kernel_initializer={_C}(1.0))
y = c(x)
print(y.shape, np.round(y.numpy()[1, :, :, 0], 4).tolist())
print([w.shape for w in c.weights], c.count_params())
""", """(2, 3, 3, 2) [[1.0399999618530273, 1.1299999952316284, 1.2200000286102295], [1.4900000095367432, 1.5800000429153442, 1.6699999570846558], [1.940000057220459, 2.0299999713897705, 2.119999885559082]]
(2, 3, 3, 1) [[11.199999809265137, 12.0, 6.300000190734863], [15.199999809265137, 16.0, 8.300000190734863], [9.100000381469727, 9.5, 4.900000095367432]]
[TensorShape([2, 2, 1, 1]), TensorShape([1])] 5
"""),
    ('BatchNormalization training and inference', """
x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0]], np.float32)
bn = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=0.01)
print(np.round(bn(x, training=True).numpy(), 4))
print(np.round(bn.moving_mean.numpy(), 5), np.round(bn.moving_variance.numpy(), 5))
print(np.round(bn(x, training=False).numpy(), 4))
print([w.name for w in bn.weights], len(bn.trainable_weights))
""", """[[-1.2225 -1.2225]
 [ 0.      1.2225]
 [ 1.2225  0.    ]]
[0.3 0.4] [1.16667 1.16667]
[[0.6453 1.475 ]
 [2.4891 5.1625]
 [4.3328 3.3188]]
['gamma', 'beta', 'moving_mean', 'moving_variance'] 2
"""),
    ('LayerNormalization', """
x = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 0.0]], np.float32)
ln = tf.keras.layers.LayerNormalization(epsilon=0.001)
print(np.round(ln(x).numpy(), 4))
ln = tf.keras.layers.LayerNormalization(axis=0, epsilon=0.1, center=False)
print(np.round(ln(x).numpy(), 4), [w.name for w in ln.weights])
""", """[[-1.0687 -0.2672  1.3359]
 [ 0.7069  0.7069 -1.4139]]
[[-0.9535 -0.8452  0.9877]
 [ 0.9535  0.8452 -0.9877]] ['gamma']
"""),
    ('Dropout is the identity at inference', """
x = np.ones((2, 3), np.float32)
d = tf.keras.layers.Dropout(0.5)
print(d(x).numpy().tolist(), d(x, training=False).numpy().tolist())
y = d(np.ones((1000,), np.float32), training=True).numpy()
print(sorted(set(y.tolist())))
""", """[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]] [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
[0.0, 2.0]
"""),
    ('Embedding lookup', """
e = tf.keras.layers.Embedding(4, 2)
e.build((None,))
e.set_weights([np.arange(8, dtype=np.float32).reshape(4, 2)])
print(e(np.array([[0, 3], [2, 2]])).numpy().tolist())
print([w.name for w in e.weights], e.count_params())
""", """[[[0.0, 1.0], [6.0, 7.0]], [[4.0, 5.0], [4.0, 5.0]]]
['embeddings'] 8
"""),
    ('Flatten, Reshape and Activation', """
x = np.arange(12, dtype=np.float32).reshape(2, 3, 2) - 5
print(tf.keras.layers.Flatten()(x).shape)
print(tf.keras.layers.Reshape((2, 3))(x).shape, tf.keras.layers.Reshape((-1, 2, 1))(x).shape)
print(tf.keras.layers.Activation("relu")(x).numpy()[0].tolist())
print(np.round(tf.keras.layers.Activation("sigmoid")(x).numpy()[1, 0], 5))
""", """(2, 6)
(2, 2, 3) (2, 3, 2, 1)
[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
[0.73106 0.8808 ]
"""),
    ('global pooling layers', """
x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2)
print(tf.keras.layers.GlobalAveragePooling2D()(x).numpy().tolist())
print(tf.keras.layers.GlobalAveragePooling2D(keepdims=True)(x).shape)
print(tf.keras.layers.GlobalMaxPooling2D()(x).shape)
""", """[[15.0, 16.0], [47.0, 48.0]]
(2, 1, 1, 2)
(2, 2)
"""),
    ('Concatenate and Add', """
a = np.array([[1.0, 2.0]], np.float32)
b = np.array([[10.0, 20.0]], np.float32)
print(tf.keras.layers.Concatenate()([a, b]).numpy().tolist())
print(tf.keras.layers.Concatenate(axis=0)([a, b]).numpy().tolist())
print(tf.keras.layers.Add()([a, b, a]).numpy().tolist())
""", """[[1.0, 2.0, 10.0, 20.0]]
[[1.0, 2.0], [10.0, 20.0]]
[[12.0, 24.0]]
"""),
)

# ---- models -------------------------------------------------------------------------------------

_DATA = """
x = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0], [0.5, -1.0], [-1.0, 2.0]],
             np.float32)
y = (x @ np.array([[1.5], [-2.0]], np.float32) + 0.5).astype(np.float32)
"""
CELLS += _cells(
    "keras",
    ('Sequential fit, evaluate and predict with SGD', _DATA + f"""
model = tf.keras.Sequential([tf.keras.Input((2,)),
                             tf.keras.layers.Dense(1, kernel_initializer={_C}(0.1))])
model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
h = model.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0)
print({{k: np.round(v, 4).tolist() for k, v in h.history.items()}})
print(np.round(model.evaluate(x, y, verbose=0), 4).tolist())
print(np.round(model.predict(x[:2], verbose=0), 4).tolist())
""", """{'loss': [6.8278, 2.9989, 1.3496], 'mae': [2.1342, 1.41, 0.9346]}
[0.6781, 0.6626]
[[-1.2640000581741333], [1.2338000535964966]]
"""),
    ('functional model fit with Adam and validation', _DATA + f"""
inputs = tf.keras.Input((2,))
h = tf.keras.layers.Dense(3, activation="tanh", kernel_initializer={_C}(0.2))(inputs)
outputs = tf.keras.layers.Dense(1, kernel_initializer={_C}(-0.3))(h)
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer=tf.keras.optimizers.Adam(0.1), loss="mae")
h = model.fit(x[:4], y[:4], epochs=2, batch_size=4, validation_data=(x[4:], y[4:]),
              shuffle=False, verbose=0)
print(sorted(h.history), np.round(h.history["loss"], 4).tolist(),
      np.round(h.history["val_loss"], 4).tolist())
print(model.count_params(), len(model.weights), len(model.trainable_variables))
""", """['loss', 'val_loss'] [1.4563, 1.2647] [4.0803, 4.0662]
13 4 4
"""),
    ('fit with sample weights and a loss function', _DATA + f"""
w = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 0.0], np.float32)
model = tf.keras.Sequential([tf.keras.Input((2,)),
                             tf.keras.layers.Dense(1, kernel_initializer={_C}(0.1))])
model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss=tf.keras.losses.mse)
h = model.fit(x, y, sample_weight=w, epochs=2, batch_size=3, shuffle=False, verbose=0)
print(np.round(h.history["loss"], 4).tolist())
print(np.round(model.evaluate(x, y, sample_weight=w, verbose=0), 4))
""", """[1.6594, 1.4946]
1.286
"""),
    ('classifier with accuracy', f"""
x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.2, 0.1]], np.float32)
y = np.array([0, 1, 1, 0])
model = tf.keras.Sequential([tf.keras.Input((2,)),
                             tf.keras.layers.Dense(2, kernel_initializer={_C}(0.3),
                                                   activation="softmax")])
model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
h = model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
print({{k: np.round(v, 4).tolist() for k, v in h.history.items()}})
print(np.round(model.evaluate(x, y, verbose=0, return_dict=True)["loss"], 4))
""", """{'accuracy': [0.5, 0.75], 'loss': [0.6931, 0.6393]}
0.5951
"""),
    ('batchnorm model moving statistics after fit', _DATA + f"""
model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.BatchNormalization(),
                             tf.keras.layers.Dense(1, kernel_initializer={_C}(0.1))])
model.compile(optimizer=tf.keras.optimizers.SGD(0.05), loss="mse")
model.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
bn = model.layers[0]
print(np.round(bn.moving_mean.numpy(), 5), np.round(bn.moving_variance.numpy(), 5))
print(len(model.weights), len(model.trainable_weights), len(model.non_trainable_weights))
""", """[0.0116  0.01327] [0.9973  0.99786]
6 4 2
"""),
    ('windowed pooling layers', """
x = tf.constant(np.arange(2 * 5 * 5 * 3, dtype=np.float32).reshape(2, 5, 5, 3) % 7)
for layer in [tf.keras.layers.MaxPooling2D(),
              tf.keras.layers.AveragePooling2D(pool_size=3, strides=1, padding="same"),
              tf.keras.layers.MaxPool2D((2, 3), strides=(1, 2))]:
    y = layer(x)
    print(y.shape, np.round(y.numpy()[0, :, :, 0], 4).tolist())
""", '(2, 2, 2, 3) [[4.0, 6.0], [6.0, 5.0]]\n(2, 5, 5, 3) [[2.0, 2.3333001136779785, 3.0, 3.6666998863220215, 4.0], [2.5, 2.4444000720977783, 3.1110999584198, 3.0, 3.3333001136779785], [3.5, 2.6666998863220215, 3.3333001136779785, 2.4444000720977783, 3.1666998863220215], [3.3333001136779785, 2.8889000415802, 3.5555999279022217, 2.6666998863220215, 3.0], [3.25, 3.0, 3.6666998863220215, 3.1666998863220215, 3.5]]\n(2, 4, 2, 3) [[6.0, 6.0], [5.0, 6.0], [6.0, 5.0], [6.0, 6.0]]\n'),
    ('Keras 3 activations by function', """
A = tf.keras.activations
x = tf.constant([[-4.0, -1.0, -0.3, 0.0], [0.2, 0.5, 1.0, 3.5]])
for name in ["celu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink",
             "soft_shrink", "tanh_shrink", "log_sigmoid", "log_softmax", "mish", "relu6",
             "softsign", "sparse_plus", "squareplus"]:
    print(name, np.round(getattr(A, name)(x).numpy(), 4).tolist())
print(np.round(A.threshold(x, 0.3, -2.0).numpy(), 4).tolist())
print(np.round(A.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.3).numpy(), 4).tolist())
""", 'celu [[-0.9817000031471252, -0.632099986076355, -0.25920000672340393, 0.0], [0.20000000298023224, 0.5, 1.0, 3.5]]\nglu [[-1.7022000551223755, -0.5], [0.1462000012397766, 0.4853000044822693]]\nhard_sigmoid [[0.0, 0.33329999446868896, 0.44999998807907104, 0.5], [0.53329998254776, 0.583299994468689, 0.666700005531311, 1.0]]\nhard_silu [[-0.0, -0.33329999446868896, -0.13500000536441803, 0.0], [0.10670000314712524, 0.29170000553131104, 0.666700005531311, 3.5]]\nhard_swish [[-0.0, -0.33329999446868896, -0.13500000536441803, 0.0], [0.10670000314712524, 0.29170000553131104, 0.666700005531311, 3.5]]\nhard_tanh [[-1.0, -1.0, -0.30000001192092896, 0.0], [0.20000000298023224, 0.5, 1.0, 1.0]]\nhard_shrink [[-4.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.5]]\nsoft_shrink [[-3.5, -0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 3.0]]\ntanh_shrink [[-3.000699996948242, -0.23839999735355377, -0.008700000122189522, 0.0], [0.0026000000070780516, 0.03790000081062317, 0.23839999735355377, 2.501800060272217]]\nlog_sigmoid [[-4.018199920654297, -1.3133000135421753, -0.8543999791145325, -0.6930999755859375], [-0.5981000065803528, -0.4740999937057495, -0.3133000135421753, -0.02979999966919422]]\nlog_softmax [[-4.754700183868408, -1.754699945449829, -1.0547000169754028, -0.7547000050544739], [-3.455899953842163, -3.155900001525879, -2.655900001525879, -0.1559000015258789]]\nmish [[-0.07259999960660934, -0.3034000098705292, -0.15109999477863312, 0.0], [0.13259999454021454, 0.3752000033855438, 0.8651000261306763, 3.49399995803833]]\nrelu6 [[0.0, 0.0, 0.0, 0.0], [0.20000000298023224, 0.5, 1.0, 3.5]]\nsoftsign [[-0.800000011920929, -0.5, -0.23080000281333923, 0.0], [0.16670000553131104, 0.33329999446868896, 0.5, 0.7778000235557556]]\nsparse_plus [[0.0, 0.0, 0.12250000238418579, 0.25], [0.36000001430511475, 0.5625, 1.0, 3.5]]\nsquareplus [[0.2361000031232834, 0.6179999709129333, 0.8611999750137329, 1.0], [1.1050000190734863, 1.2807999849319458, 1.6180000305175781, 3.7655999660491943]]\n[[-2.0, -2.0, -2.0, -2.0], [-2.0, 0.5, 1.0, 3.5]]\n[[-0.4300000071525574, -0.12999999523162842, -0.05999999865889549, -0.029999999329447746], [-0.009999999776482582, 0.5, 1.0, 2.0]]\n'),
    ('activations by name: get, serialize, layers', """
A = tf.keras.activations
print(A.get("hard_swish").__name__, A.serialize(A.hard_swish), A.deserialize("mish").__name__)
layer = tf.keras.layers.Dense(2, activation="mish", kernel_initializer=tf.keras.initializers.Constant(0.5))
print(np.round(layer(tf.constant([[1.0, -3.0]])).numpy(), 5), layer.get_config()["activation"])
try:
    A.get("not_an_activation")
except ValueError as e:
    print(type(e).__name__)
""", 'hard_silu hard_silu mish\n[[-0.3034 -0.3034]] mish\nValueError\n'),
    ('Keras 3 loss-mean metrics and confusion counts', """
M = tf.keras.metrics
yt = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], np.float32)
yp = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]], np.float32)
w = np.array([1.0, 0.5], np.float32)
for m in [M.BinaryCrossentropy(), M.CategoricalCrossentropy(label_smoothing=0.1),
          M.KLDivergence(), M.Poisson(), M.CosineSimilarity(), M.Hinge(), M.SquaredHinge(),
          M.CategoricalHinge(), M.LogCoshError(), M.MeanSquaredLogarithmicError()]:
    m.update_state(yt, yp)
    m.update_state(yt[:2], yp[:2], sample_weight=w)
    print(m.name, np.round(m.result().numpy(), 4))
s = M.SparseCategoricalCrossentropy(from_logits=True)
s.update_state(np.array([1, 0, 2, 1]), yp * 4 - 2)
print(s.name, np.round(s.result().numpy(), 4))
y = np.array([1, 0, 1, 1, 0, 0], np.float32)
p = np.array([0.9, 0.6, 0.4, 0.7, 0.2, 0.5], np.float32)
for m in [M.TruePositives(), M.TrueNegatives(), M.FalsePositives(thresholds=[0.3, 0.65]),
          M.FalseNegatives(thresholds=0.45)]:
    m.update_state(y, p, sample_weight=[1.0, 3.0, 1.0, 1.0, 2.0, 1.0])
    print(type(m).__name__, m.result().numpy())
m.reset_state()
print(m.result().numpy())
""", 'binary_crossentropy 0.4324\ncategorical_crossentropy 0.7619\nkl_divergence 0.7042\npoisson 0.5681\ncosine_similarity 0.7728\nhinge 0.9879\nsquared_hinge 1.1242\ncategorical_hinge 0.8\nlogcosh 0.0652\nmean_squared_logarithmic_error 0.0664\nsparse_categorical_crossentropy 0.7941\nTruePositives 2.0\nTrueNegatives 3.0\nFalsePositives [4. 0.]\nFalseNegatives 1.0\n0.0\n'),
    ('F1, F-beta, R2 and IoU metrics', """
M = tf.keras.metrics
yt = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]], np.float32)
yp = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]], np.float32)
for average in [None, "micro", "macro", "weighted"]:
    f1 = M.F1Score(average=average)
    f1.update_state(yt, yp)
    fb = M.FBetaScore(average=average, beta=2.0, threshold=0.35)
    fb.update_state(yt, yp, sample_weight=[1.0, 0.5, 2.0, 1.0])
    print(average, np.round(f1.result().numpy(), 4), np.round(fb.result().numpy(), 4))
rt = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]], np.float32)
rp = np.array([[1.5, 2.0], [1.8, 0.5], [3.3, 4.0], [3.0, 3.5]], np.float32)
for r2 in [M.R2Score(), M.R2Score(class_aggregation="variance_weighted_average"),
           M.R2Score(class_aggregation=None), M.R2Score(num_regressors=2)]:
    r2.update_state(rt, rp)
    print(np.round(r2.result().numpy(), 4))
iou = M.MeanIoU(num_classes=3)
iou.update_state([0, 1, 2, 1, 0], [0, 1, 1, 1, 2])
print(iou.name, np.round(iou.result().numpy(), 4))
iou = M.IoU(num_classes=3, target_class_ids=[0, 2], sparse_y_true=False, sparse_y_pred=False)
iou.update_state(yt, yp)
print(np.round(iou.result().numpy(), 4))
try:
    M.F1Score().update_state([1.0, 0.0], [0.3, 0.6])
except ValueError as e:
    print(type(e).__name__)
""", 'None [0.6667 0.6667 1.    ] [0.7143 0.5556 1.    ]\nmicro 0.75 0.7778\nmacro 0.7778 0.7566\nweighted 0.75 0.7707\n0.7763\n0.7905\n[0.724  0.8286]\n0.6868\nmean_io_u 0.3889\n0.75\nValueError\n'),
    ('Keras 3 metrics in compile and fit', """
x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.2, 0.1], [0.5, 0.9], [0.9, 0.3]], np.float32)
y = np.array([[1, 0], [0, 1], [0, 1], [1, 0], [0, 1], [1, 0]], np.float32)
model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(
    2, kernel_initializer=tf.keras.initializers.Constant(0.3), activation="softmax")])
model.compile(optimizer=tf.keras.optimizers.SGD(0.5), loss="categorical_crossentropy",
              metrics=["kl_divergence", tf.keras.metrics.F1Score(average="macro"),
                       tf.keras.metrics.TruePositives(name="tp"), tf.keras.metrics.R2Score(),
                       tf.keras.metrics.CosineSimilarity(), "msle"])
h = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
print({k: np.round(v, 4).tolist() for k, v in sorted(h.history.items())})
print({k: round(float(v), 4) for k, v in sorted(model.evaluate(x, y, verbose=0, return_dict=True).items())})
""", "{'cosine_similarity': [0.7017, 0.7566], 'f1_score': [0.5, 0.625], 'kl_divergence': [0.7, 0.6199], 'loss': [0.7, 0.6199], 'msle': [0.1251, 0.1067], 'r2_score': [-0.0143, 0.1438], 'tp': [1.0, 4.0]}\n{'cosine_similarity': 0.807, 'f1_score': 1.0, 'kl_divergence': 0.5477, 'loss': 0.5477, 'msle': 0.09, 'r2_score': 0.2875, 'tp': 6.0}\n"),
    ('Identity and Orthogonal initializers, lowercase names, serialize', """
I = tf.keras.initializers
print(I.Identity(gain=2.0)((2, 3)).numpy().tolist())
for shape in [(3, 5), (5, 3), (2, 3, 4)]:
    q = I.Orthogonal(gain=2.0, seed=1)(shape).numpy()
    m = q.reshape(-1, shape[-1])
    g = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    print(q.shape, q.dtype, np.allclose(g, 4 * np.eye(len(g)), atol=1e-5))
print(I.constant is I.Constant, I.orthogonal is I.Orthogonal, I.lecun_normal is I.LecunNormal)
print(I.serialize(I.Constant(0.5)))
print(I.serialize(I.Orthogonal(gain=2.0)))
print(type(I.deserialize("identity")).__name__, type(I.get({"class_name": "Constant", "config": {"value": 2.0}})).__name__)
a = I.RandomNormal(seed=7)((2, 2)).numpy()
print(np.array_equal(a, I.RandomNormal(seed=7)((2, 2)).numpy()))
try:
    I.Identity()((2, 3, 4))
except ValueError as e:
    print(type(e).__name__)
""", "[[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]\n(3, 5) float32 True\n(5, 3) float32 True\n(2, 3, 4) float32 True\nTrue True True\n{'module': 'keras.initializers', 'class_name': 'Constant', 'config': {'value': 0.5}, 'registered_name': None}\n{'module': 'keras.initializers', 'class_name': 'Orthogonal', 'config': {'seed': None, 'gain': 2.0}, 'registered_name': None}\nIdentity Constant\nTrue\nValueError\n"),
)

# ---- more layers: activations, shapes, merges, noise, convolutions, pooling, norms ------------

CELLS += _cells(
    "keras",
('Activation layers: ReLU options, LeakyReLU, ELU, Softmax, Identity', """
x = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5, 2.0, 7.0]], np.float32)
L = tf.keras.layers
for layer in [L.ReLU(), L.ReLU(max_value=6.0), L.ReLU(negative_slope=0.1), L.ReLU(threshold=1.0),
              L.ReLU(max_value=5.0, negative_slope=0.2, threshold=0.5), L.LeakyReLU(),
              L.LeakyReLU(negative_slope=0.05), L.ELU(), L.ELU(alpha=0.5), L.Softmax(), L.Identity()]:
    print(type(layer).__name__, np.round(layer(x).numpy(), 5).tolist())
print(L.ReLU(max_value=6.0).get_config()["max_value"], L.LeakyReLU().get_config()["negative_slope"])
m = L.Softmax(axis=0)(np.array([[1.0, 2.0], [3.0, 1.0]], np.float32))
print(np.round(m.numpy(), 5).tolist())
print(np.round(L.Softmax()(np.array([[1.0, 2.0, 3.0]], np.float32), mask=np.array([[1, 0, 1]])).numpy(), 5).tolist())
print(np.round(L.Softmax(axis=[1, 2])(np.arange(8, dtype=np.float32).reshape(2, 2, 2)).numpy(), 5).tolist())
try:
    L.ReLU(threshold=-1.0)
except ValueError as e:
    print(type(e).__name__)
""", 'ReLU [[0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 7.0]]\nReLU [[0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 6.0]]\nReLU [[-0.30000001192092896, -0.10000000149011612, -0.05000000074505806, 0.0, 0.5, 2.0, 7.0]]\nReLU [[0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 7.0]]\nReLU [[-0.699999988079071, -0.30000001192092896, -0.20000000298023224, -0.10000000149011612, 0.0, 2.0, 5.0]]\nLeakyReLU [[-0.8999999761581421, -0.30000001192092896, -0.15000000596046448, 0.0, 0.5, 2.0, 7.0]]\nLeakyReLU [[-0.15000000596046448, -0.05000000074505806, -0.02500000037252903, 0.0, 0.5, 2.0, 7.0]]\nELU [[-0.9502099752426147, -0.6321200132369995, -0.39346998929977417, 0.0, 0.5, 2.0, 7.0]]\nELU [[-0.4751099944114685, -0.31606000661849976, -0.19673000276088715, 0.0, 0.5, 2.0, 7.0]]\nSoftmax [[3.9999998989515007e-05, 0.00033000000985339284, 0.0005499999970197678, 0.0008999999845400453, 0.0014900000533089042, 0.006670000031590462, 0.9900100231170654]]\nIdentity [[-3.0, -1.0, -0.5, 0.0, 0.5, 2.0, 7.0]]\n6.0 0.3\n[[0.11919999867677689, 0.7310600280761719], [0.8808000087738037, 0.2689400017261505]]\n[[0.11919999867677689, 0.0, 0.8808000087738037]]\n[[[0.03206000104546547, 0.08714000135660172], [0.23688000440597534, 0.6439099907875061]], [[0.03206000104546547, 0.08714000135660172], [0.23688000440597534, 0.6439099907875061]]]\nValueError\n'),
('PReLU weights, shared_axes and a gradient', f"""
p = tf.keras.layers.PReLU(alpha_initializer={_C}(0.25), shared_axes=[1])
x = np.array([[[-2.0, 1.0], [3.0, -4.0], [-1.0, -1.0]]], np.float32)
print(np.round(p(x).numpy(), 5).tolist())
print([(w.name, tuple(w.shape)) for w in p.weights], p.count_params())
with tf.GradientTape() as tape:
    y = tf.reduce_sum(p(x))
print(np.round(tape.gradient(y, p.alpha).numpy(), 5).tolist())
q = tf.keras.layers.PReLU()
print(q(x).shape, tuple(q.alpha.shape), q.get_config()["shared_axes"])
""", "[[[-0.5, 1.0], [3.0, -1.0], [-0.25, -0.25]]]\n[('alpha', (1, 2))] 2\n[[-3.0, -5.0]]\n(1, 3, 2) (3, 2) None\n"),
('Permute, RepeatVector, Cropping and ZeroPadding', """
L = tf.keras.layers
x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
print(L.Permute((2, 1))(x).shape, L.Permute((2, 1))(x).numpy()[0, :, 0].tolist())
print(L.RepeatVector(3)(np.array([[1.0, 2.0]], np.float32)).numpy().tolist())
print(L.Cropping1D()(x).numpy()[0].tolist(), L.Cropping1D((0, 2))(x).shape)
img = np.arange(2 * 4 * 5 * 1, dtype=np.float32).reshape(2, 4, 5, 1)
print(L.Cropping2D(((1, 0), (1, 2)))(img).numpy()[0, :, :, 0].tolist())
print(L.Cropping2D(1)(img).shape, L.Cropping2D((1, 2))(img).shape)
print(L.ZeroPadding1D(1)(x).shape, L.ZeroPadding1D((0, 2))(x).numpy()[0, :, 0].tolist())
print(L.ZeroPadding2D()(img).shape, L.ZeroPadding2D(((1, 0), (0, 2)))(img).numpy()[0, :, :, 0].tolist())
print(L.Cropping2D(1).get_config()["cropping"], L.ZeroPadding2D((1, 2)).get_config()["padding"])
for make, arg in [(L.RepeatVector(2), x), (L.Cropping1D(2), x), (L.Permute((2, 1)), img)]:
    try:
        make(arg)
    except ValueError as e:
        print(type(e).__name__)
""", '(2, 4, 3) [0.0, 1.0, 2.0, 3.0]\n[[[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]]\n[[4.0, 5.0, 6.0, 7.0]] (2, 1, 4)\n[[6.0, 7.0], [11.0, 12.0], [16.0, 17.0]]\n(2, 2, 3, 1) (2, 2, 1, 1)\n(2, 5, 4) [0.0, 4.0, 8.0, 0.0, 0.0]\n(2, 6, 7, 1) [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0], [5.0, 6.0, 7.0, 8.0, 9.0, 0.0, 0.0], [10.0, 11.0, 12.0, 13.0, 14.0, 0.0, 0.0], [15.0, 16.0, 17.0, 18.0, 19.0, 0.0, 0.0]]\n((1, 1), (1, 1)) ((1, 1), (2, 2))\nValueError\nValueError\nValueError\n'),
('UpSampling1D and UpSampling2D nearest and bilinear', """
L = tf.keras.layers
x = np.arange(6, dtype=np.float32).reshape(1, 3, 2)
print(L.UpSampling1D(2)(x).numpy()[0].tolist())
img = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
print(L.UpSampling2D()(img).numpy()[0, :, :, 0].tolist())
print(L.UpSampling2D((1, 3))(img).shape)
print(np.round(L.UpSampling2D(2, interpolation="bilinear")(img).numpy()[0, :, :, 0], 4).tolist())
print(L.UpSampling2D(2).get_config()["size"])
""", '[[0.0, 1.0], [0.0, 1.0], [2.0, 3.0], [2.0, 3.0], [4.0, 5.0], [4.0, 5.0]]\n[[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0]]\n(1, 2, 6, 1)\n[[0.0, 0.25, 0.75, 1.0], [0.5, 0.75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2.0, 2.25, 2.75, 3.0]]\n(2, 2)\n'),
('Merge layers: Multiply, Subtract, Average, Maximum, Minimum', """
L = tf.keras.layers
a = np.array([[1.0, -2.0, 3.0]], np.float32)
b = np.array([[0.5, 4.0, -1.0]], np.float32)
c = np.array([[2.0, 2.0, 2.0]], np.float32)
print(L.Multiply()([a, b, c]).numpy().tolist(), L.Subtract()([a, b]).numpy().tolist())
print(np.round(L.Average()([a, b, c]).numpy(), 5).tolist())
print(L.Maximum()([a, b, c]).numpy().tolist(), L.Minimum()([a, b]).numpy().tolist())
print(L.Multiply()([np.ones((2, 3, 4), np.float32), np.full((2, 1, 4), 2.0, np.float32)]).shape)
inputs = [tf.keras.Input((3,)), tf.keras.Input((3,))]
model = tf.keras.Model(inputs, L.Subtract()(inputs))
print(model([a, b]).numpy().tolist())
for layer, args in [(L.Subtract(), [a, b, c]), (L.Multiply(), [a, np.ones((1, 4), np.float32)])]:
    try:
        layer(args)
    except ValueError as e:
        print(type(e).__name__)
""", '[[1.0, -16.0, -6.0]] [[0.5, -6.0, 4.0]]\n[[1.1666699647903442, 1.3333300352096558, 1.3333300352096558]]\n[[2.0, 4.0, 3.0]] [[0.5, -2.0, -1.0]]\n(2, 3, 4)\n[[0.5, -6.0, 4.0]]\nValueError\nValueError\n'),
('Dot with axes and normalize', """
L = tf.keras.layers
a = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, -2.0]], np.float32)
b = np.array([[4.0, 5.0, 6.0], [2.0, 2.0, 2.0]], np.float32)
print(L.Dot(axes=1)([a, b]).numpy().tolist())
print(np.round(L.Dot(axes=-1, normalize=True)([a, b]).numpy(), 5).tolist())
x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
y = np.arange(18, dtype=np.float32).reshape(2, 3, 3) / 10
out = L.Dot(axes=(2, 1))([x, y])
print(out.shape, np.round(out.numpy()[1], 4).tolist())
print(L.Dot(axes=1)([x, np.ones((2, 2, 5), np.float32)]).shape)
print(L.Dot(axes=(1, 1))([x, np.ones((2, 2), np.float32)]).numpy().tolist())
print(L.Dot(axes=(1, 2)).get_config()["axes"])
try:
    L.Dot(axes=1)([a, np.ones((2, 4), np.float32)])
except ValueError as e:
    print(type(e).__name__)
""", '[[32.0], [-2.0]]\n[[0.9746299982070923], [-0.2581999897956848]]\n(2, 2, 3) [[25.799999237060547, 27.899999618530273, 30.0], [36.599998474121094, 39.599998474121094, 42.599998474121094]]\n(2, 3, 5)\n[[3.0, 5.0, 7.0], [15.0, 17.0, 19.0]]\n(1, 2)\nValueError\n'),
('Noise layers are the identity at inference', """
L = tf.keras.layers
x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
for layer in [L.GaussianNoise(0.5), L.GaussianDropout(0.3), L.AlphaDropout(0.2),
              L.SpatialDropout1D(0.5), L.SpatialDropout2D(0.5)]:
    arg = x.reshape(2, 3, 2, 1) if type(layer).__name__.endswith("2D") else x
    print(type(layer).__name__, np.array_equal(layer(arg).numpy(), arg), np.array_equal(layer(arg, training=False).numpy(), arg))
    print(sorted(k for k in layer.get_config() if k not in ("dtype",)))
y = L.AlphaDropout(0.999999)(np.zeros((1, 3), np.float32), training=True)
print(np.round(y.numpy(), 3).tolist())
t = L.SpatialDropout1D(0.5)(np.ones((4, 5, 6), np.float32), training=True).numpy()
print(all(len(np.unique(t[b, :, c])) == 1 for b in range(4) for c in range(6)), set(np.unique(t).tolist()) <= {0.0, 2.0})
n = L.GaussianNoise(1.0)(np.zeros((200, 100), np.float32), training=True).numpy()
print(abs(float(n.std()) - 1.0) < 0.05)
d = L.GaussianDropout(0.5)(np.ones((200, 100), np.float32), training=True).numpy()
print(abs(float(d.mean()) - 1.0) < 0.05, abs(float(d.std()) - 1.0) < 0.05)
try:
    L.SpatialDropout2D(0.5)(x, training=True)
except ValueError as e:
    print(type(e).__name__)
""", "GaussianNoise True True\n['name', 'seed', 'stddev', 'trainable']\nGaussianDropout True True\n['name', 'rate', 'seed', 'trainable']\nAlphaDropout True True\n['name', 'rate', 'seed', 'trainable']\nSpatialDropout1D True True\n['name', 'rate', 'seed']\nSpatialDropout2D True True\n['data_format', 'name', 'rate', 'seed']\n[[-0.0010000000474974513, -0.0010000000474974513, -0.0010000000474974513]]\nTrue True\nTrue\nTrue True\nValueError\n"),
('Conv1D valid, same, causal, strides and dilation', f"""
x = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2) / 10
for kw in [dict(), dict(padding="same"), dict(padding="causal"), dict(strides=2),
           dict(dilation_rate=2, padding="causal"), dict(padding="same", strides=2)]:
    c = tf.keras.layers.Conv1D(2, 3, kernel_initializer={_C}(0.5), bias_initializer={_C}(0.1), **kw)
    y = c(x)
    print(kw, y.shape, np.round(y.numpy()[1, :, 0], 4).tolist())
c = tf.keras.layers.Conv1D(2, 3)
c.build((None, 6, 2))
print([(w.name, tuple(w.shape)) for w in c.weights])
k = np.arange(12, dtype=np.float32).reshape(3, 2, 2) / 10 - 0.5
c.set_weights([k, np.array([0.5, -0.5], np.float32)])
print(np.round(c(x).numpy()[0], 4).tolist())
cfg = c.get_config()
print(cfg["kernel_size"], cfg["strides"], cfg["padding"], cfg["dilation_rate"], cfg["activation"])
try:
    c(np.ones((2, 6, 3), np.float32))
except ValueError as e:
    print(type(e).__name__)
""", "{} (2, 4, 2) [4.449999809265137, 5.050000190734863, 5.650000095367432, 6.25]\n{'padding': 'same'} (2, 6, 2) [2.799999952316284, 4.449999809265137, 5.050000190734863, 5.650000095367432, 6.25, 4.400000095367432]\n{'padding': 'causal'} (2, 6, 2) [1.350000023841858, 2.799999952316284, 4.449999809265137, 5.050000190734863, 5.650000095367432, 6.25]\n{'strides': 2} (2, 2, 2) [4.449999809265137, 5.650000095367432]\n{'dilation_rate': 2, 'padding': 'causal'} (2, 6, 2) [1.350000023841858, 1.5499999523162842, 3.0, 3.4000000953674316, 5.050000190734863, 5.650000095367432]\n{'padding': 'same', 'strides': 2} (2, 3, 2) [4.449999809265137, 5.650000095367432, 4.400000095367432]\n[('kernel', (3, 2, 2)), ('bias', (2,))]\n[[0.8500000238418579, 0.0], [0.8500000238418579, 0.11999999731779099], [0.8500000238418579, 0.23999999463558197], [0.8500000238418579, 0.36000001430511475]]\n(3,) (1,) valid (1,) linear\nValueError\n"),
('Conv2DTranspose shapes and values', f"""
x = np.arange(2 * 3 * 3 * 2, dtype=np.float32).reshape(2, 3, 3, 2) / 10
for kw in [dict(), dict(strides=2), dict(strides=2, padding="same"), dict(strides=(2, 1), padding="valid"),
           dict(strides=2, output_padding=1), dict(kernel_size=2, strides=2, padding="same")]:
    ks = kw.pop("kernel_size", 3)
    c = tf.keras.layers.Conv2DTranspose(2, ks, kernel_initializer={_C}(0.5), bias_initializer={_C}(0.1), **kw)
    y = c(x)
    print(kw, y.shape, np.round(y.numpy()[1, :, :, 0], 4).tolist())
c = tf.keras.layers.Conv2DTranspose(3, 2)
c.build((None, 3, 3, 2))
print([(w.name, tuple(w.shape)) for w in c.weights])
k = np.arange(24, dtype=np.float32).reshape(2, 2, 3, 2) / 10 - 1
c.set_weights([k, np.array([0.5, -0.5, 0.0], np.float32)])
print(np.round(c(x).numpy()[0, :, :, 1], 4).tolist())
""", "{} (2, 5, 5, 2) [[1.9500000476837158, 4.0, 6.25, 4.400000095367432, 2.3499999046325684], [4.400000095367432, 9.100000381469727, 14.199999809265137, 9.899999618530273, 5.199999809265137], [7.449999809265137, 15.399999618530273, 23.950000762939453, 16.600000381469727, 8.649999618530273], [5.599999904632568, 11.5, 17.799999237060547, 12.300000190734863, 6.400000095367432], [3.1500000953674316, 6.400000095367432, 9.850000381469727, 6.800000190734863, 3.549999952316284]]\n{'strides': 2} (2, 7, 7, 2) [[1.9500000476837158, 1.9500000476837158, 4.0, 2.1500000953674316, 4.400000095367432, 2.3499999046325684, 2.3499999046325684], [1.9500000476837158, 1.9500000476837158, 4.0, 2.1500000953674316, 4.400000095367432, 2.3499999046325684, 2.3499999046325684], [4.400000095367432, 4.400000095367432, 9.100000381469727, 4.800000190734863, 9.899999618530273, 5.199999809265137, 5.199999809265137], [2.549999952316284, 2.549999952316284, 5.199999809265137, 2.75, 5.599999904632568, 2.950000047683716, 2.950000047683716], [5.599999904632568, 5.599999904632568, 11.5, 6.0, 12.300000190734863, 6.400000095367432, 6.400000095367432], [3.1500000953674316, 3.1500000953674316, 6.400000095367432, 3.3499999046325684, 6.800000190734863, 3.549999952316284, 3.549999952316284], [3.1500000953674316, 3.1500000953674316, 6.400000095367432, 3.3499999046325684, 6.800000190734863, 3.549999952316284, 3.549999952316284]]\n{'strides': 2, 'padding': 'same'} (2, 6, 6, 2) [[1.9500000476837158, 1.9500000476837158, 4.0, 2.1500000953674316, 4.400000095367432, 2.3499999046325684], [1.9500000476837158, 1.9500000476837158, 4.0, 2.1500000953674316, 4.400000095367432, 2.3499999046325684], [4.400000095367432, 4.400000095367432, 9.100000381469727, 4.800000190734863, 9.899999618530273, 5.199999809265137], [2.549999952316284, 2.549999952316284, 5.199999809265137, 2.75, 5.599999904632568, 2.950000047683716], [5.599999904632568, 5.599999904632568, 11.5, 6.0, 12.300000190734863, 6.400000095367432], [3.1500000953674316, 3.1500000953674316, 6.400000095367432, 3.3499999046325684, 6.800000190734863, 3.549999952316284]]\n{'strides': (2, 1), 'padding': 'valid'} (2, 7, 5, 2) [[1.9500000476837158, 4.0, 6.25, 4.400000095367432, 2.3499999046325684], [1.9500000476837158, 4.0, 6.25, 4.400000095367432, 2.3499999046325684], [4.400000095367432, 9.100000381469727, 14.199999809265137, 9.899999618530273, 5.199999809265137], [2.549999952316284, 5.199999809265137, 8.050000190734863, 5.599999904632568, 2.950000047683716], [5.599999904632568, 11.5, 17.799999237060547, 12.300000190734863, 6.400000095367432], [3.1500000953674316, 6.400000095367432, 9.850000381469727, 6.800000190734863, 3.549999952316284], [3.1500000953674316, 6.400000095367432, 9.850000381469727, 6.800000190734863, 3.549999952316284]]\n{'strides': 2, 'output_padding': 1} (2, 8, 8, 2) [[1.9500000476837158, 1.9500000476837158, 4.0, 2.1500000953674316, 4.400000095367432, 2.3499999046325684, 2.3499999046325684, 0.10000000149011612], [1.9500000476837158, 1.9500000476837158, 4.0, 2.1500000953674316, 4.400000095367432, 2.3499999046325684, 2.3499999046325684, 0.10000000149011612], [4.400000095367432, 4.400000095367432, 9.100000381469727, 4.800000190734863, 9.899999618530273, 5.199999809265137, 5.199999809265137, 0.10000000149011612], [2.549999952316284, 2.549999952316284, 5.199999809265137, 2.75, 5.599999904632568, 2.950000047683716, 2.950000047683716, 0.10000000149011612], [5.599999904632568, 5.599999904632568, 11.5, 6.0, 12.300000190734863, 6.400000095367432, 6.400000095367432, 0.10000000149011612], [3.1500000953674316, 3.1500000953674316, 6.400000095367432, 3.3499999046325684, 6.800000190734863, 3.549999952316284, 3.549999952316284, 0.10000000149011612], [3.1500000953674316, 3.1500000953674316, 6.400000095367432, 3.3499999046325684, 6.800000190734863, 3.549999952316284, 3.549999952316284, 0.10000000149011612], [0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612, 0.10000000149011612]]\n{'strides': 2, 'padding': 'same'} (2, 6, 6, 2) [[1.9500000476837158, 1.9500000476837158, 2.1500000953674316, 2.1500000953674316, 2.3499999046325684, 2.3499999046325684], [1.9500000476837158, 1.9500000476837158, 2.1500000953674316, 2.1500000953674316, 2.3499999046325684, 2.3499999046325684], [2.549999952316284, 2.549999952316284, 2.75, 2.75, 2.950000047683716, 2.950000047683716], [2.549999952316284, 2.549999952316284, 2.75, 2.75, 2.950000047683716, 2.950000047683716], [3.1500000953674316, 3.1500000953674316, 3.3499999046325684, 3.3499999046325684, 3.549999952316284, 3.549999952316284], [3.1500000953674316, 3.1500000953674316, 3.3499999046325684, 3.3499999046325684, 3.549999952316284, 3.549999952316284]]\n[('kernel', (2, 2, 3, 2)), ('bias', (3,))]\n[[-0.5699999928474426, -0.8799999952316284, -1.2400000095367432, -0.6299999952316284], [-1.4199999570846558, -1.6200000047683716, -1.3799999952316284, 0.14000000059604645], [-1.7799999713897705, -0.8999999761581421, -0.6600000262260437, 1.2200000286102295], [0.6299999952316284, 3.440000057220459, 4.039999961853027, 2.9700000286102295]]\n"),
('DepthwiseConv2D and SeparableConv2D', f"""
x = np.arange(2 * 4 * 4 * 2, dtype=np.float32).reshape(2, 4, 4, 2) / 10
d = tf.keras.layers.DepthwiseConv2D(2, depth_multiplier=2)
d.build((None, 4, 4, 2))
print([(w.name, tuple(w.shape)) for w in d.weights])
d.set_weights([np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2) / 10 - 0.5, np.array([0.1, 0.2, 0.3, 0.4], np.float32)])
y = d(x)
print(y.shape, np.round(y.numpy()[1, :, :, 3], 4).tolist())
d = tf.keras.layers.DepthwiseConv2D(3, strides=2, padding="same", depthwise_initializer={_C}(0.5))
print(d(x).shape, np.round(d(x).numpy()[0, :, :, 1], 4).tolist())
s = tf.keras.layers.SeparableConv2D(3, 2, depth_multiplier=1)
s.build((None, 4, 4, 2))
print([(w.name, tuple(w.shape)) for w in s.weights])
s.set_weights([np.arange(8, dtype=np.float32).reshape(2, 2, 2, 1) / 10, np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3) / 10 - 0.2, np.array([0.1, 0.0, -0.1], np.float32)])
y = s(x)
print(y.shape, np.round(y.numpy()[1, :, :, 2], 4).tolist())
s = tf.keras.layers.SeparableConv2D(2, 3, padding="same", activation="relu", depthwise_initializer={_C}(0.2), pointwise_initializer={_C}(-0.5))
print(s(x).shape, float(np.max(s(x).numpy())))
""", "[('kernel', (2, 2, 2, 2)), ('bias', (4,))]\n(2, 3, 3, 4) [[7.199999809265137, 7.519999980926514, 7.840000152587891], [8.479999542236328, 8.800000190734863, 9.119999885559082], [9.760000228881836, 10.079999923706055, 10.399999618530273]]\n(2, 2, 2, 2) [[4.949999809265137, 4.199999809265137], [6.900000095367432, 5.199999809265137]]\n[('depthwise_kernel', (2, 2, 2, 1)), ('pointwise_kernel', (1, 1, 2, 3)), ('bias', (3,))]\n(2, 3, 3, 3) [[1.8320000171661377, 1.9279999732971191, 2.0239999294281006], [2.2160000801086426, 2.312000036239624, 2.4079999923706055], [2.5999999046325684, 2.696000099182129, 2.7920000553131104]]\n(2, 4, 4, 2) 0.0\n"),
('MaxPooling1D, AveragePooling1D and global 1-D pooling', """
L = tf.keras.layers
x = np.array([[[1.0, 0.0], [3.0, -1.0], [2.0, 5.0], [-4.0, 2.0], [0.5, 0.5]]], np.float32)
print(L.MaxPooling1D()(x).numpy().tolist())
print(L.MaxPool1D(3, strides=1, padding="same")(x).numpy()[0, :, 0].tolist())
print(np.round(L.AveragePooling1D(2, padding="same")(x).numpy(), 4).tolist())
print(np.round(L.AvgPool1D(3, strides=2)(x).numpy(), 4).tolist())
print(np.round(L.GlobalAveragePooling1D()(x).numpy(), 4).tolist(), L.GlobalMaxPooling1D()(x).numpy().tolist())
print(L.GlobalAvgPool1D(keepdims=True)(x).shape, L.GlobalMaxPool1D(keepdims=True)(x).shape)
print(np.round(L.GlobalAveragePooling1D()(x, mask=np.array([[1, 1, 0, 0, 1]])).numpy(), 4).tolist())
print(L.MaxPooling1D(3).get_config()["pool_size"], L.AveragePooling1D(2, strides=1).get_config()["strides"])
try:
    L.MaxPooling1D()(np.ones((2, 4, 4, 1), np.float32))
except ValueError as e:
    print(type(e).__name__)
""", '[[[3.0, 0.0], [2.0, 5.0]]]\n[3.0, 3.0, 3.0, 2.0, 0.5]\n[[[2.0, -0.5], [-1.0, 3.5], [0.5, 0.5]]]\n[[[2.0, 1.333299994468689], [-0.5, 2.5]]]\n[[0.5, 1.2999999523162842]] [[3.0, 5.0]]\n(1, 1, 2) (1, 1, 2)\n[[1.5, -0.16670000553131104]]\n(3,) (1,)\nValueError\n'),
('UnitNormalization and GroupNormalization', f"""
L = tf.keras.layers
x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
print(np.round(L.UnitNormalization()(x).numpy(), 5).tolist())
y = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
print(np.round(L.UnitNormalization(axis=[1, 2])(y).numpy()[1], 5).tolist())
g = L.GroupNormalization(groups=2, epsilon=0.01)
z = np.array([[[1.0, 2.0, 3.0, 5.0], [0.0, -1.0, 4.0, 2.0]]], np.float32)
print(np.round(g(z).numpy(), 4).tolist())
print([(w.name, tuple(w.shape)) for w in g.weights])
g = L.GroupNormalization(groups=-1, gamma_initializer={_C}(2.0), beta_initializer={_C}(0.5))
print(np.round(g(z).numpy(), 4).tolist())
g = L.GroupNormalization(groups=1, axis=1, center=False)
print(np.round(g(z).numpy(), 4).tolist(), len(g.weights))
for groups in (3, 8):
    try:
        L.GroupNormalization(groups=groups)(z)
    except ValueError as e:
        print(type(e).__name__)
""", "[[0.6000000238418579, 0.800000011920929, 0.0], [0.0, 0.0, 0.0]]\n[[0.2825300097465515, 0.32962000370025635, 0.3767099976539612], [0.42379000782966614, 0.47088000178337097, 0.5179700255393982]]\n[[[0.4453999996185303, 1.336300015449524, -0.4453999996185303, 1.336300015449524], [-0.4453999996185303, -1.336300015449524, 0.4453999996185303, -1.336300015449524]]]\n[('gamma', (4,)), ('beta', (4,))]\n[[[2.496000051498413, 2.4995999336242676, -1.496000051498413, 2.4995999336242676], [-1.496000051498413, -1.4996000528335571, 2.496000051498413, -1.4996000528335571]]]\n[[[-0.5343999862670898, 0.0, 0.5343999862670898, 1.6032999753952026], [-1.0688999891281128, -1.6032999753952026, 1.0688999891281128, 0.0]]] 1\nValueError\nValueError\n"),
('A model with new layers trained by fit', f"""
L = tf.keras.layers
x = np.arange(4 * 6 * 2, dtype=np.float32).reshape(4, 6, 2) / 20
y = np.array([[0.5], [-0.2], [0.1], [0.3]], np.float32)
model = tf.keras.Sequential([
    tf.keras.Input((6, 2)),
    L.Conv1D(3, 3, padding="causal", kernel_initializer={_C}(0.2)),
    L.PReLU(alpha_initializer={_C}(0.1)),
    L.ZeroPadding1D(1),
    L.MaxPooling1D(2),
    L.UpSampling1D(2),
    L.GroupNormalization(groups=3),
    L.GlobalMaxPooling1D(),
    L.Dense(1, kernel_initializer={_C}(0.3)),
])
model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
h = model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
print(np.round(h.history["loss"], 5).tolist())
print([type(l).__name__ for l in model.layers])
print(np.round(model.predict(x, verbose=0), 4).tolist())
""", "[0.38896, 0.06229]\n['Conv1D', 'PReLU', 'ZeroPadding1D', 'MaxPooling1D', 'UpSampling1D', 'GroupNormalization', 'GlobalMaxPooling1D', 'Dense']\n[[0.31380000710487366], [0.2078000009059906], [0.15950000286102295], [0.13420000672340393]]\n"),
)

# Recurrent and attention layers (tapeflow/keras/layers/recurrent.py, wrappers.py,
# attention.py). Fixed weights: sin of a ramp, one recipe per layer.
_FIXED = """
def fixed(layer, scale=0.5):
    layer.set_weights([np.sin(np.arange(np.prod(w.shape)) * 0.7 + i).reshape(w.shape)
                       .astype(np.float32) * scale for i, w in enumerate(layer.weights)])
x = np.cos(np.arange(24) * 1.3).reshape(2, 4, 3).astype(np.float32)
"""

CELLS += _cells(
    "keras",
    ('SimpleRNN, LSTM and GRU on fixed weights', _FIXED + """
L = tf.keras.layers
for layer in [L.SimpleRNN(2, return_sequences=True), L.LSTM(2, return_state=True),
              L.GRU(2, go_backwards=True), L.GRU(2, reset_after=False)]:
    layer(x)
    fixed(layer)
    out = layer(x)
    print(type(layer).__name__, [(w.path.split("/", 1)[1], tuple(w.shape)) for w in layer.weights])
    for t in (out if isinstance(out, tuple) else [out]):
        print(np.round(t.numpy(), 4))
""", "SimpleRNN [('simple_rnn_cell/kernel', (3, 2)), ('simple_rnn_cell/recurrent_kernel', (2, 2)), ('simple_rnn_cell/bias', (2,))]\n[[[ 0.4161  0.6649]\n  [ 0.8479  0.2269]\n  [ 0.3159  0.3324]\n  [ 0.8075  0.7641]]\n\n [[ 0.3849 -0.3849]\n  [ 0.1366  0.5832]\n  [ 0.8524  0.4777]\n  [ 0.4754  0.0467]]]\nLSTM [('lstm_cell/kernel', (3, 8)), ('lstm_cell/recurrent_kernel', (2, 8)), ('lstm_cell/bias', (8,))]\n[[-0.1497 -0.1275]\n [-0.308  -0.1269]]\n[[-0.1497 -0.1275]\n [-0.308  -0.1269]]\n[[-0.3593 -0.297 ]\n [-0.551  -0.1743]]\nGRU [('gru_cell/kernel', (3, 6)), ('gru_cell/recurrent_kernel', (2, 6)), ('gru_cell/bias', (2, 6))]\n[[ 0.0035 -0.2268]\n [-0.2817 -0.3656]]\nGRU [('gru_cell/kernel', (3, 6)), ('gru_cell/recurrent_kernel', (2, 6)), ('gru_cell/bias', (6,))]\n[[-0.1672 -0.1249]\n [-0.4202 -0.3435]]\n"),
    ('Bidirectional and TimeDistributed', _FIXED + """
L = tf.keras.layers
for layer in [L.Bidirectional(L.LSTM(2, return_sequences=True)),
              L.Bidirectional(L.GRU(2, return_state=True), merge_mode="ave"),
              L.TimeDistributed(L.Dense(2))]:
    layer(x)
    fixed(layer)
    out = layer(x)
    print(type(layer).__name__, len(layer.weights), [tuple(w.shape) for w in layer.weights])
    for t in (out if isinstance(out, tuple) else [out]):
        print(np.round(t.numpy(), 4))
""", 'Bidirectional 6 [(3, 8), (2, 8), (8,), (3, 8), (2, 8), (8,)]\n[[[-0.1265 -0.2044  0.1379  0.1461]\n  [-0.0661 -0.0401  0.0513  0.0475]\n  [-0.2922 -0.2478  0.1118  0.117 ]\n  [-0.1497 -0.1275  0.0027  0.0769]]\n\n [[-0.1389  0.028   0.1296  0.0782]\n  [-0.2299 -0.2483  0.128   0.1266]\n  [-0.1131 -0.0626  0.0096  0.0398]\n  [-0.308  -0.1269  0.1018  0.0638]]]\nBidirectional 6 [(3, 6), (2, 6), (2, 6), (3, 6), (2, 6), (2, 6)]\n[[0.0266 0.0091]\n [0.11   0.0844]]\n[[-0.0842 -0.1983]\n [-0.364  -0.3615]]\n[[0.1373 0.2166]\n [0.584  0.5302]]\nTimeDistributed 2 [(3, 2), (2,)]\n[[[ 0.409   1.0837]\n  [ 0.8152  0.2929]\n  [-0.1402  0.2026]\n  [ 0.8407  1.1245]]\n\n [[ 0.3719 -0.1237]\n  [ 0.0716  0.7666]\n  [ 0.9764  0.7223]\n  [-0.0369 -0.1036]]]\n'),
    ('MultiHeadAttention, Attention and AdditiveAttention', _FIXED + """
L = tf.keras.layers
v = np.sin(np.arange(30) * 0.5).reshape(2, 5, 3).astype(np.float32)
mask = np.array([[[1, 1, 0, 1, 1]] * 4, [[1, 0, 0, 0, 1]] * 4], bool)
mha = L.MultiHeadAttention(num_heads=2, key_dim=2)
mha(x, v)
fixed(mha)
out, scores = mha(x, v, attention_mask=mask, return_attention_scores=True)
print([(w.path.split("/", 1)[1], tuple(w.shape)) for w in mha.weights])
print(np.round(out.numpy(), 4))
print(np.round(scores.numpy()[1], 4))
att = L.Attention(use_scale=True, score_mode="concat")
att([x, v])
fixed(att)
print(np.round(att([x, v], mask=[None, mask[:, 0]]).numpy(), 4))
add = L.AdditiveAttention()
add([x, v])
fixed(add)
out, w = add([x, v], return_attention_scores=True)
print(np.round(out.numpy(), 4))
print(np.round(w.numpy()[0], 4))
""", "[('query/kernel', (3, 2, 2)), ('query/bias', (2, 2)), ('key/kernel', (3, 2, 2)), ('key/bias', (2, 2)), ('value/kernel', (3, 2, 2)), ('value/bias', (2, 2)), ('attention_output/kernel', (2, 2, 3)), ('attention_output/bias', (3,))]\n[[[0.1993 0.3675 0.3628]\n  [0.2096 0.3779 0.3686]\n  [0.2012 0.3689 0.3632]\n  [0.2028 0.3713 0.3652]]\n\n [[0.1964 0.3602 0.3546]\n  [0.1965 0.3603 0.3546]\n  [0.1964 0.3602 0.3546]\n  [0.1965 0.3602 0.3546]]]\n[[[0.4985 0.     0.     0.     0.5015]\n  [0.4948 0.     0.     0.     0.5052]\n  [0.4981 0.     0.     0.     0.5019]\n  [0.4971 0.     0.     0.     0.5029]]\n\n [[0.4968 0.     0.     0.     0.5032]\n  [0.4951 0.     0.     0.     0.5049]\n  [0.5005 0.     0.     0.     0.4995]\n  [0.4943 0.     0.     0.     0.5057]]]\n[[[-0.0649  0.1612  0.3478]\n  [-0.0649  0.1612  0.3478]\n  [-0.0649  0.1612  0.3478]\n  [-0.0649  0.1612  0.3478]]\n\n [[ 0.8709  0.99    0.8667]\n  [ 0.8709  0.99    0.8667]\n  [ 0.8709  0.99    0.8667]\n  [ 0.8709  0.99    0.8667]]]\n[[[0.0943 0.2492 0.3431]\n  [0.0918 0.2365 0.3234]\n  [0.0944 0.245  0.3356]\n  [0.0969 0.2667 0.3712]]\n\n [[0.3445 0.4187 0.3904]\n  [0.3547 0.4213 0.3847]\n  [0.3012 0.3774 0.3612]\n  [0.3574 0.4446 0.423 ]]]\n[[0.2669 0.2527 0.1354 0.1151 0.2299]\n [0.248  0.2557 0.1415 0.1206 0.2342]\n [0.2592 0.2624 0.129  0.1259 0.2236]\n [0.27   0.2523 0.125  0.1058 0.2469]]\n"),
    ('an LSTM model trained with fit', _FIXED + """
L = tf.keras.layers
xs = np.sin(np.arange(8 * 4 * 3) * 0.37).reshape(8, 4, 3).astype(np.float32)
ys = np.cos(np.arange(8) * 0.9).reshape(8, 1).astype(np.float32)
model = tf.keras.Sequential([tf.keras.Input((4, 3)), L.Bidirectional(L.LSTM(3)), L.Dense(1)])
for layer in model.layers:
    fixed(layer, 0.4)
model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="mse")
h = model.fit(xs, ys, epochs=2, batch_size=4, shuffle=False, verbose=0)
print(np.round(h.history["loss"], 4))
print(np.round(model.predict(xs[:3], verbose=0), 4))
""", '[0.634  0.5589]\n[[0.0967]\n [0.0889]\n [0.1125]]\n'),
)
