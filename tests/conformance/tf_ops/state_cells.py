"""Op cells: Variables, tf.Module, name scopes and checkpoints (see cells.py for what a cell
is and how its text was confirmed).

Variable attributes, hashing and references; eager names (not uniquified) and nested name
scopes; Module variables, names and validation; Checkpoint save/write/restore return values
and statuses, TF keys from list_variables, CheckpointManager numbering and pruning, partial
and deferred restores (an unbuilt module, Adam slots before the first step) and the error
classes of mismatched restores. Checkpoints go to tempfile.mkdtemp(); only basenames print.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "state",
    ('var attrs', """
v = tf.Variable([1., 2.], name="w")
print(v.name, v.dtype, v.shape, v.trainable)
print(v.aggregation, v.synchronization)
print(v.constraint)
try:
    v.initial_value
except RuntimeError as e:
    print("RuntimeError", e)
print(type(v.device).__name__, v.device.endswith("CPU:0"))
""", """w:0 <dtype: 'float32'> (2,) True
VariableAggregation.NONE VariableSynchronization.AUTO
None
RuntimeError This property is not supported when eager execution is enabled.
str True
"""),
    ('read_value None', """
v = tf.Variable(1.)
print(v.assign(2., read_value=False), v.assign_add(1., read_value=False), v.assign_sub(1., read_value=False))
print(v.numpy())
""", """None None None
2.0
"""),
    ('hash', """
v = tf.Variable(1.)
try:
    d = {v: 1}; print("hashable")
except TypeError as e:
    print("TypeError", e)
r = v.ref(); print(r.deref() is v, type(r).__name__)
print(v.experimental_ref().deref() is v)
print({v.ref(): 1}[v.ref()])
""", """TypeError Variable is unhashable. Instead, use variable.ref() as the key. (Variable: <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>)
True Reference
True
1
"""),
    ('eq', """
a = tf.Variable([1., 2.]); b = tf.Variable([1., 3.])
print(a == b)
print(a != b)
print(a == a)
print(a < b)
""", """tf.Tensor([ True False], shape=(2,), dtype=bool)
tf.Tensor([False  True], shape=(2,), dtype=bool)
tf.Tensor([ True  True], shape=(2,), dtype=bool)
tf.Tensor([False  True], shape=(2,), dtype=bool)
"""),
    ('names eager not uniquified', """
a = tf.Variable(1., name="x"); b = tf.Variable(2., name="x")
print(a.name, b.name)
c = tf.Variable(1.); print(c.name)
""", """x:0 x:0
Variable:0
"""),
    ('string var', """
s = tf.Variable("hello")
print(s)
print(s.dtype, s.numpy())
s.assign("bye"); print(s.numpy())
""", """<tf.Variable 'Variable:0' shape=() dtype=string, numpy=b'hello'>
<dtype: 'string'> b'hello'
b'bye'
"""),
    ('convert', """
v = tf.Variable([1, 2])
t = tf.convert_to_tensor(v)
print(type(t).__name__, t)
print(tf.is_tensor(v), isinstance(v, tf.Variable), isinstance(v, tf.Tensor))
""", """EagerTensor tf.Tensor([1 2], shape=(2,), dtype=int32)
True True False
"""),
    ('sparse_read gather_nd', """
v = tf.Variable([[1., 2.], [3., 4.], [5., 6.]])
print(v.sparse_read([2, 0]))
print(v.gather_nd([[0, 1], [2, 0]]))
""", """tf.Tensor(
[[5. 6.]
 [1. 2.]], shape=(2, 2), dtype=float32)
tf.Tensor([2. 5.], shape=(2,), dtype=float32)
"""),
    ('operators', """
v = tf.Variable([1., 2.])
print(v + 1, 2 * v, -v, v ** 2, abs(v), v @ tf.constant([[1.],[1.]]) if False else "")
print(v[0], v[::-1])
""", """tf.Tensor([2. 3.], shape=(2,), dtype=float32) tf.Tensor([2. 4.], shape=(2,), dtype=float32) tf.Tensor([-1. -2.], shape=(2,), dtype=float32) tf.Tensor([1. 4.], shape=(2,), dtype=float32) tf.Tensor([1. 2.], shape=(2,), dtype=float32) 
tf.Tensor(1.0, shape=(), dtype=float32) tf.Tensor([2. 1.], shape=(2,), dtype=float32)
"""),
    ('value and read_value', """
v = tf.Variable([1., 2.])
print(v.value()); print(v.read_value()); print(v.numpy())
print(v.get_shape(), v.shape.rank)
""", """tf.Tensor([1. 2.], shape=(2,), dtype=float32)
tf.Tensor([1. 2.], shape=(2,), dtype=float32)
[1. 2.]
(2,) 1
"""),
    ('name scopes', """
with tf.name_scope("a"):
    with tf.name_scope("b") as s:
        print(s)
        v = tf.Variable(1., name="v")
    with tf.name_scope("c/") as s2:
        print(s2)
        w = tf.Variable(1., name="w")
print(v.name, w.name)
try:
    tf.name_scope(None)
except ValueError as e:
    print("ValueError", e)
""", """a/b/
c/
a/b/v:0 c/w:0
ValueError name for name_scope must be a string.
"""),
    ('name scope empty', """
with tf.name_scope("a"):
    with tf.name_scope("") as s:
        print(repr(s)); v = tf.Variable(1., name="q")
print(v.name)
""", """''
q:0
"""),
    ('name scope same twice', """
with tf.name_scope("a") as s1: pass
with tf.name_scope("a") as s2: pass
print(s1, s2)
with tf.name_scope("a"):
    with tf.name_scope("a") as s3: print(s3)
""", """a/ a/
a/a/
"""),
    ('module names', """
class M(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = tf.Variable(1., name="w")
    @tf.Module.with_name_scope
    def __call__(self, x):
        self.b = tf.Variable(2., name="b") if not hasattr(self, "b") else self.b
        return x
m = M(); m(1.)
print(m.name, m.name_scope.name, m.w.name, m.b.name)
with tf.name_scope("outer"):
    m2 = M(name="inner")
print(m2.name, m2.name_scope.name, m2.w.name)
""", """m m/ m/w:0 m/b:0
inner outer/inner/ outer/inner/w:0
"""),
    ('module name validation', """
try:
    tf.Module(name="a b")
except ValueError as e:
    print("ValueError", e)
try:
    tf.Module(name="a/b")
except ValueError as e:
    print("ValueError", e)
""", """ValueError 'a b' is not a valid module name. Module names must be valid Python identifiers (e.g. a valid class name).
ValueError 'a/b' is not a valid module name. Module names must be valid Python identifiers (e.g. a valid class name).
"""),
    ('agg sync', """
v = tf.Variable(1., aggregation=tf.VariableAggregation.MEAN, synchronization=tf.VariableSynchronization.ON_READ)
print(v.aggregation, v.synchronization)
w = tf.Variable(1.)
print(w.aggregation, w.synchronization)
""", """VariableAggregationV2.MEAN VariableSynchronization.ON_READ
VariableAggregation.NONE VariableSynchronization.AUTO
"""),
    ('initial_value', """
v = tf.Variable([1., 2.])
try:
    v.initial_value
except Exception as e:
    print(type(e).__name__, e)
""", """RuntimeError This property is not supported when eager execution is enabled.
"""),
    ('hashing message', """
v = tf.Variable(1.)
try:
    {v: 1}
except TypeError as e:
    print(e)
print(type(v.ref()).__name__)
""", """Variable is unhashable. Instead, use variable.ref() as the key. (Variable: <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=1.0>)
Reference
"""),
    ('module nontrainable', """
m = tf.Module()
m.a = tf.Variable(1., trainable=False); m.b = tf.Variable(2.)
print([v.numpy() for v in m.non_trainable_variables], m.name, m.name_scope.name)
print(tf.Module(name="x1").name)
""", """[np.float32(1.0)] module module/
x1
"""),
    ('name_scope None', """
try:
    tf.name_scope(None)
except ValueError as e: print("ValueError", e)
try:
    with tf.name_scope(3): pass
except Exception as e: print(type(e).__name__, e)
""", """ValueError name for name_scope must be a string.
ValueError name for name_scope must be a string.
"""),
    ('device', """
v = tf.Variable(1.)
print(type(v.device).__name__, v.device.endswith("CPU:0"))
""", """str True
"""),
    ('save restore basic', """
import tempfile, os
d = tempfile.mkdtemp()
v = tf.Variable([1., 2.]); w = tf.Variable(3.)
ck = tf.train.Checkpoint(v=v, w=w)
p = ck.save(os.path.join(d, "ck"))
print(os.path.basename(p))
v.assign([9., 9.]); w.assign(0.)
s = ck.restore(p)
print(type(s).__name__, v.numpy(), w.numpy())
print(s.assert_consumed() is s, s.assert_existing_objects_matched() is s)
print(os.path.basename(ck.save(os.path.join(d, "ck"))), ck.save_counter.numpy())
print(os.path.basename(tf.train.latest_checkpoint(d)))
""", """ck-1
CheckpointLoadStatus [1. 2.] 3.0
True True
ck-2 2
ck-2
"""),
    ('write read', """
import tempfile, os
d = tempfile.mkdtemp()
v = tf.Variable([1., 2.])
ck = tf.train.Checkpoint(v=v)
p = ck.write(os.path.join(d, "w"))
print(os.path.basename(p), tf.train.latest_checkpoint(d))
v.assign([0., 0.])
s = ck.read(p); print(type(s).__name__, v.numpy())
s.assert_consumed()
print([n for n, _ in tf.train.list_variables(p)])
""", """w None
CheckpointLoadStatus [1. 2.]
['_CHECKPOINTABLE_OBJECT_GRAPH', 'v/.ATTRIBUTES/VARIABLE_VALUE']
"""),
    ('list vars keys', """
import tempfile, os
d = tempfile.mkdtemp()
class M(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[1., 2.]])
        self._b = tf.Variable([0.])
        self.layers = [tf.Variable(1.), tf.Variable(2.)]
        self.d = {"k": tf.Variable(5.)}
m = M()
ck = tf.train.Checkpoint(model=m, step=tf.Variable(3, dtype=tf.int64))
p = ck.save(os.path.join(d, "ck"))
for n, s in tf.train.list_variables(p): print(n, s)
print(tf.train.load_variable(p, "model/w/.ATTRIBUTES/VARIABLE_VALUE"))
print(tf.train.load_variable(d, "step/.ATTRIBUTES/VARIABLE_VALUE"))
""", """_CHECKPOINTABLE_OBJECT_GRAPH []
model/_b/.ATTRIBUTES/VARIABLE_VALUE [1]
model/d/k/.ATTRIBUTES/VARIABLE_VALUE []
model/layers/0/.ATTRIBUTES/VARIABLE_VALUE []
model/layers/1/.ATTRIBUTES/VARIABLE_VALUE []
model/w/.ATTRIBUTES/VARIABLE_VALUE [1, 2]
save_counter/.ATTRIBUTES/VARIABLE_VALUE []
step/.ATTRIBUTES/VARIABLE_VALUE []
[[1. 2.]]
3
"""),
    ('manager', """
import tempfile, os
d = tempfile.mkdtemp()
v = tf.Variable(0.)
ck = tf.train.Checkpoint(v=v)
mg = tf.train.CheckpointManager(ck, d, max_to_keep=2, checkpoint_name="model", keep_checkpoint_every_n_hours=1000)
for i in range(4):
    v.assign(float(i)); print(os.path.basename(mg.save()))
print([os.path.basename(c) for c in mg.checkpoints])
print(os.path.basename(mg.latest_checkpoint), os.path.basename(tf.train.latest_checkpoint(d)))
print(sorted(f for f in os.listdir(d) if f != "checkpoint" and not f.startswith("model")) )
print(os.path.basename(mg.save(checkpoint_number=100)))
print([os.path.basename(c) for c in mg.checkpoints])
mg2 = tf.train.CheckpointManager(ck, d, max_to_keep=5, checkpoint_name="model")
print([os.path.basename(c) for c in mg2.checkpoints])
v.assign(-1.); ck.restore(mg.checkpoints[0]); print(v.numpy())
print(mg.directory == d)
""", """model-1
model-2
model-3
model-4
['model-3', 'model-4']
model-4 model-4
[]
model-100
['model-4', 'model-100']
['model-4', 'model-100']
3.0
True
"""),
    ('manager empty', """
import tempfile, os
d = tempfile.mkdtemp()
ck = tf.train.Checkpoint(v=tf.Variable(1.))
mg = tf.train.CheckpointManager(ck, d, max_to_keep=3)
print(mg.latest_checkpoint, mg.checkpoints, tf.train.latest_checkpoint(d))
print(ck.restore(mg.latest_checkpoint).__class__.__name__)
print(mg.restore_or_initialize())
""", """None [] None
InitializationOnlyStatus
None
"""),
    ('shape mismatch', """
import tempfile, os
d = tempfile.mkdtemp()
p = tf.train.Checkpoint(v=tf.Variable([1., 2.])).save(os.path.join(d, "c"))
try:
    tf.train.Checkpoint(v=tf.Variable([1., 2., 3.])).restore(p)
    print("no error")
except Exception as e:
    print(type(e).__name__)
""", """ValueError
"""),
    ('dtype mismatch', """
import tempfile, os
d = tempfile.mkdtemp()
p = tf.train.Checkpoint(v=tf.Variable([1., 2.])).save(os.path.join(d, "c"))
v = tf.Variable([1, 2])
try:
    tf.train.Checkpoint(v=v).restore(p)
    print("no error", v.numpy())
except Exception as e:
    print(type(e).__name__)
""", """InvalidArgumentError
"""),
    ('missing key', """
import tempfile, os
d = tempfile.mkdtemp()
p = tf.train.Checkpoint(v=tf.Variable([1., 2.])).save(os.path.join(d, "c"))
v = tf.Variable([5., 6.]); w = tf.Variable(7.)
s = tf.train.Checkpoint(v=v, w=w).restore(p)
print(v.numpy(), w.numpy())
try:
    s.assert_existing_objects_matched(); print("matched")
except AssertionError as e:
    print("AssertionError")
try:
    s.assert_consumed(); print("consumed")
except AssertionError as e:
    print("AssertionError")
print(s.expect_partial() is s)
""", """[1. 2.] 7.0
AssertionError
AssertionError
True
"""),
    ('extra key', """
import tempfile, os
d = tempfile.mkdtemp()
p = tf.train.Checkpoint(v=tf.Variable([1., 2.]), w=tf.Variable(3.)).save(os.path.join(d, "c"))
v = tf.Variable([5., 6.])
s = tf.train.Checkpoint(v=v).restore(p)
print(v.numpy())
try:
    s.assert_existing_objects_matched(); print("matched")
except AssertionError as e:
    print("AssertionError")
try:
    s.assert_consumed(); print("consumed")
except AssertionError as e:
    print("AssertionError")
print(s.expect_partial() is s)
""", """[1. 2.]
matched
AssertionError
True
"""),
    ('nonexistent file', """
import tempfile, os
d = tempfile.mkdtemp()
ck = tf.train.Checkpoint(v=tf.Variable(1.))
try:
    ck.restore(os.path.join(d, "nope-1"))
except Exception as e:
    print(type(e).__name__)
""", """NotFoundError
"""),
    ('deferred module', """
import tempfile, os
d = tempfile.mkdtemp()
class Lazy(tf.Module):
    def __call__(self, x):
        if not hasattr(self, "w"):
            self.w = tf.Variable(tf.zeros([2]), name="w")
        return x * self.w
m = Lazy(); m(1.); m.w.assign([3., 4.])
p = tf.train.Checkpoint(model=m).save(os.path.join(d, "c"))
m2 = Lazy()
s = tf.train.Checkpoint(model=m2).restore(p)
try:
    s.assert_consumed(); print("consumed")
except AssertionError: print("AssertionError")
s.assert_existing_objects_matched(); print("matched")
print(m2(1.).numpy())
s.assert_consumed(); print("consumed")
""", """AssertionError
matched
[3. 4.]
consumed
"""),
    ('adam restore', """
import tempfile, os
d = tempfile.mkdtemp()
def make():
    v = tf.Variable([1., -2., 3.])
    opt = tf.keras.optimizers.Adam(0.1)
    return v, opt
def step(v, opt):
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(v ** 2)
    opt.apply_gradients([(t.gradient(loss, v), v)])
v, opt = make()
for _ in range(3): step(v, opt)
p = tf.train.Checkpoint(v=v, opt=opt).save(os.path.join(d, "c"))
step(v, opt); step(v, opt)
want = v.numpy()
v2, opt2 = make()
s = tf.train.Checkpoint(v=v2, opt=opt2).restore(p)
print(v2.numpy(), opt2.iterations.numpy())
step(v2, opt2); step(v2, opt2)
print(v2.numpy(), opt2.iterations.numpy(), np.allclose(v2.numpy(), want, atol=0, rtol=1e-6))
s.assert_consumed(); print("consumed")
""", """[ 0.70158863 -1.7006257   2.700384  ] 3
[ 0.5079679 -1.50296    2.5017836] 5 True
consumed
"""),
    ('adam restore built', """
import tempfile, os
d = tempfile.mkdtemp()
v = tf.Variable([1., -2., 3.]); opt = tf.keras.optimizers.Adam(0.1)
for _ in range(3):
    with tf.GradientTape() as t: loss = tf.reduce_sum(v ** 2)
    opt.apply_gradients([(t.gradient(loss, v), v)])
p = tf.train.Checkpoint(v=v, opt=opt).save(os.path.join(d, "c"))
v2 = tf.Variable([0., 0., 0.]); opt2 = tf.keras.optimizers.Adam(0.1); opt2.build([v2])
tf.train.Checkpoint(v=v2, opt=opt2).restore(p).assert_consumed()
print([np.round(x.numpy(), 5).tolist() for x in opt2.variables])
""", """[3, 0.10000000149011612, [0.4840799868106842, -1.0260299444198608, 1.568019986152649], [0.009789999574422836, 0.04335999861359596, 0.10090000182390213]]
"""),
    ('deferred dense', """
import tempfile, os
d = tempfile.mkdtemp()
layer = tf.keras.layers.Dense(2, kernel_initializer="ones")
layer(tf.ones([1, 3]))
p = tf.train.Checkpoint(layer=layer).save(os.path.join(d, "c"))
l2 = tf.keras.layers.Dense(2)
tf.train.Checkpoint(layer=l2).restore(p)
print(l2(tf.ones([1, 3])).numpy())
""", """[[3. 3.]]
"""),
    ('shared var naming', """
import tempfile, os
d = tempfile.mkdtemp()
sh = tf.Variable(1.)
class A(tf.Module):
    def __init__(self):
        super().__init__(); self.kernel = sh
class H(tf.Module):
    def __init__(self):
        super().__init__(); self.a = A(); self.z = sh; self.own = tf.Variable(2.)
p = tf.train.Checkpoint(h=H()).write(os.path.join(d, "c"))
print([n for n, _ in tf.train.list_variables(p)])
""", """['_CHECKPOINTABLE_OBJECT_GRAPH', 'h/own/.ATTRIBUTES/VARIABLE_VALUE', 'h/z/.ATTRIBUTES/VARIABLE_VALUE']
"""),
    ('module variables order', """
class Inner(tf.Module):
    def __init__(self):
        super().__init__()
        self.v = tf.Variable(1., name="iv")
        self.nt = tf.Variable(2., trainable=False, name="nt")
class Outer(tf.Module):
    def __init__(self):
        super().__init__()
        self.z = tf.Variable(0., name="z")
        self.layers = [Inner(), Inner()]
        self.d = {"b": tf.Variable(3., name="db"), "a": tf.Variable(4., name="da")}
        self._p = tf.Variable(5., name="p")
o = Outer()
print([v.name for v in o.variables])
print([v.name for v in o.trainable_variables])
print([v.name for v in o.non_trainable_variables])
print([m.name for m in o.submodules])
""", """['p:0', 'da:0', 'db:0', 'z:0', 'nt:0', 'iv:0', 'nt:0', 'iv:0']
['p:0', 'da:0', 'db:0', 'z:0', 'iv:0', 'iv:0']
['nt:0', 'nt:0']
['inner', 'inner']
"""),
)
