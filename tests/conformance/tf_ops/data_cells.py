"""Op cells: tf.data (see cells.py for what a cell is and how its text was confirmed).

The differential sweep of tapeflow's tf.data against TensorFlow 2.21: sources, every
transformation TF users reach for, element_spec and cardinality, iterators and the
experimental aliases. Shuffles and sample_from_datasets print invariants only (the multiset
of elements, reshuffling), not orders: those are TF's random draws. A Dataset's repr names
TF's internal classes, so the cells print element_spec instead. Errors print the class
(or a base TF code can catch by), not TF's op-wrapped messages.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "data",
    ('slices tuple dict', """
ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4., 5., 6.]))
print(ds.element_spec)
print(list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices({'a': [1, 2], 'b': [[1., 2.], [3., 4.]]})
print(ds.element_spec)
for e in ds: print(e)
ds = tf.data.Dataset.from_tensor_slices(({'a': [1, 2]}, ([3, 4], [b'x', b'y'])))
print(ds.element_spec)
print(list(ds.as_numpy_iterator()))
""", """(TensorSpec(shape=(), dtype=tf.int32, name=None), TensorSpec(shape=(), dtype=tf.float32, name=None))
[(np.int32(1), np.float32(4.0)), (np.int32(2), np.float32(5.0)), (np.int32(3), np.float32(6.0))]
{'a': TensorSpec(shape=(), dtype=tf.int32, name=None), 'b': TensorSpec(shape=(2,), dtype=tf.float32, name=None)}
{'a': <tf.Tensor: shape=(), dtype=int32, numpy=1>, 'b': <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>}
{'a': <tf.Tensor: shape=(), dtype=int32, numpy=2>, 'b': <tf.Tensor: shape=(2,), dtype=float32, numpy=array([3., 4.], dtype=float32)>}
({'a': TensorSpec(shape=(), dtype=tf.int32, name=None)}, (TensorSpec(shape=(), dtype=tf.int32, name=None), TensorSpec(shape=(), dtype=tf.string, name=None)))
[({'a': np.int32(1)}, (np.int32(3), b'x')), ({'a': np.int32(2)}, (np.int32(4), b'y'))]
"""),
    ('slices ragged', """
for value in ([[1, 2], [3]], ([1, 2], [3]), 5):
    try:
        tf.data.Dataset.from_tensor_slices(value)
    except ValueError as e:
        print('ValueError')
""", """ValueError
ValueError
ValueError
"""),
    ('slices python floats strings bools', """
ds = tf.data.Dataset.from_tensor_slices([1.5, 2.5])
print(ds.element_spec)
ds = tf.data.Dataset.from_tensor_slices(['a', 'bc'])
print(ds.element_spec, list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices([True, False])
print(ds.element_spec, list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices(np.arange(6).reshape(3, 2))
print(ds.element_spec, list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices(np.array([1., 2.]))
print(ds.element_spec)
""", """TensorSpec(shape=(), dtype=tf.float32, name=None)
TensorSpec(shape=(), dtype=tf.string, name=None) [b'a', b'bc']
TensorSpec(shape=(), dtype=tf.bool, name=None) [np.True_, np.False_]
TensorSpec(shape=(2,), dtype=tf.int64, name=None) [array([0, 1]), array([2, 3]), array([4, 5])]
TensorSpec(shape=(), dtype=tf.float64, name=None)
"""),
    ('from_tensors', """
ds = tf.data.Dataset.from_tensors(([1, 2], 3.))
print(ds.element_spec)
print(list(ds.as_numpy_iterator()))
print(ds.cardinality().numpy(), len(ds))
""", """(TensorSpec(shape=(2,), dtype=tf.int32, name=None), TensorSpec(shape=(), dtype=tf.float32, name=None))
[(array([1, 2], dtype=int32), np.float32(3.0))]
1 1
"""),
    ('range', """
print(list(tf.data.Dataset.range(5).as_numpy_iterator()))
print(list(tf.data.Dataset.range(2, 5).as_numpy_iterator()))
print(list(tf.data.Dataset.range(1, 10, 3).as_numpy_iterator()))
print(list(tf.data.Dataset.range(5, 1, -2).as_numpy_iterator()))
print(list(tf.data.Dataset.range(5, 1).as_numpy_iterator()))
ds = tf.data.Dataset.range(3, output_type=tf.int32)
print(ds.element_spec, list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.range(3, output_type=tf.float32)
print(ds.element_spec, list(ds.as_numpy_iterator()))
print(tf.data.Dataset.range(10).element_spec)
print(tf.data.Dataset.range(1, 10, 3).cardinality())
""", """[np.int64(0), np.int64(1), np.int64(2), np.int64(3), np.int64(4)]
[np.int64(2), np.int64(3), np.int64(4)]
[np.int64(1), np.int64(4), np.int64(7)]
[np.int64(5), np.int64(3)]
[]
TensorSpec(shape=(), dtype=tf.int32, name=None) [np.int32(0), np.int32(1), np.int32(2)]
TensorSpec(shape=(), dtype=tf.float32, name=None) [np.float32(0.0), np.float32(1.0), np.float32(2.0)]
TensorSpec(shape=(), dtype=tf.int64, name=None)
tf.Tensor(3, shape=(), dtype=int64)
"""),
    ('range dtype kw', """
ds = tf.data.Dataset.range(3, dtype=tf.int32)
print(ds.element_spec)
""", """TensorSpec(shape=(), dtype=tf.int64, name=None)
"""),
    ('generator', """
def gen():
    for i in range(3):
        yield i, [1.] * i
ds = tf.data.Dataset.from_generator(gen, output_signature=(tf.TensorSpec((), tf.int32), tf.TensorSpec((None,), tf.float32)))
print(ds.element_spec)
for e in ds: print(e)
print(ds.cardinality().numpy())
def g2(n):
    for i in range(n): yield i * 2
ds = tf.data.Dataset.from_generator(g2, args=[3], output_signature=tf.TensorSpec((), tf.int64))
print(list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.from_generator(g2, output_types=tf.int32, args=(2,))
print(ds.element_spec, list(ds.as_numpy_iterator()))
""", """(TensorSpec(shape=(), dtype=tf.int32, name=None), TensorSpec(shape=(None,), dtype=tf.float32, name=None))
(<tf.Tensor: shape=(), dtype=int32, numpy=0>, <tf.Tensor: shape=(0,), dtype=float32, numpy=array([], dtype=float32)>)
(<tf.Tensor: shape=(), dtype=int32, numpy=1>, <tf.Tensor: shape=(1,), dtype=float32, numpy=array([1.], dtype=float32)>)
(<tf.Tensor: shape=(), dtype=int32, numpy=2>, <tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 1.], dtype=float32)>)
-2
[np.int64(0), np.int64(2), np.int64(4)]
TensorSpec(shape=<unknown>, dtype=tf.int32, name=None) [np.int32(0), np.int32(2)]
"""),
    ('generator arg tensor type', """
def g(n):
    print(type(n).__name__, n)
    yield 1
ds = tf.data.Dataset.from_generator(g, args=(3,), output_signature=tf.TensorSpec((), tf.int32))
print(list(ds.as_numpy_iterator()))
def g(s):
    print(type(s).__name__, s)
    yield 1
ds = tf.data.Dataset.from_generator(g, args=('ab',), output_signature=tf.TensorSpec((), tf.int32))
print(list(ds.as_numpy_iterator()))
""", """int32 3
[np.int32(1)]
bytes b'ab'
[np.int32(1)]
"""),
    ('zip concat', """
a = tf.data.Dataset.range(3)
b = tf.data.Dataset.range(10, 15)
print(list(tf.data.Dataset.zip((a, b)).as_numpy_iterator()))
print(list(tf.data.Dataset.zip(a, b).as_numpy_iterator()))
z = tf.data.Dataset.zip({'x': a, 'y': (b, a)})
print(z.element_spec)
print(list(z.as_numpy_iterator()))
print(tf.data.Dataset.zip((a, b)).cardinality().numpy())
c = a.concatenate(b)
print(list(c.as_numpy_iterator()), c.cardinality().numpy())
try:
    a.concatenate(tf.data.Dataset.from_tensor_slices([1., 2.]))
except Exception as e:
    print(type(e).__name__)
d = tf.data.Dataset.from_tensor_slices([[1, 2]]).concatenate(tf.data.Dataset.from_tensor_slices([[1, 2, 3]]))
print(d.element_spec)
""", """[(np.int64(0), np.int64(10)), (np.int64(1), np.int64(11)), (np.int64(2), np.int64(12))]
[(np.int64(0), np.int64(10)), (np.int64(1), np.int64(11)), (np.int64(2), np.int64(12))]
{'x': TensorSpec(shape=(), dtype=tf.int64, name=None), 'y': (TensorSpec(shape=(), dtype=tf.int64, name=None), TensorSpec(shape=(), dtype=tf.int64, name=None))}
[{'x': np.int64(0), 'y': (np.int64(10), np.int64(0))}, {'x': np.int64(1), 'y': (np.int64(11), np.int64(1))}, {'x': np.int64(2), 'y': (np.int64(12), np.int64(2))}]
3
[np.int64(0), np.int64(1), np.int64(2), np.int64(10), np.int64(11), np.int64(12), np.int64(13), np.int64(14)] 8
TypeError
TensorSpec(shape=(None,), dtype=tf.int32, name=None)
"""),
    ('choose sample', """
ds = [tf.data.Dataset.from_tensors('a').repeat(), tf.data.Dataset.from_tensors('b').repeat()]
choice = tf.data.Dataset.range(2).repeat(3)
print(list(tf.data.Dataset.choose_from_datasets(ds, choice).as_numpy_iterator()))
print(list(tf.data.experimental.choose_from_datasets(ds, choice).as_numpy_iterator()))
s = tf.data.Dataset.sample_from_datasets([tf.data.Dataset.range(3), tf.data.Dataset.range(10, 13)], weights=[0.5, 0.5], seed=1)
print(sorted(s.as_numpy_iterator()))
print(s.element_spec)
""", """[b'a', b'b', b'a', b'b', b'a', b'b']
[b'a', b'b', b'a', b'b', b'a', b'b']
[np.int64(0), np.int64(1), np.int64(2), np.int64(10), np.int64(11), np.int64(12)]
TensorSpec(shape=(), dtype=tf.int64, name=None)
"""),
    ('map', """
ds = tf.data.Dataset.from_tensor_slices(([1, 2], [3, 4]))
print(list(ds.map(lambda x, y: x + y).as_numpy_iterator()))
print(list(ds.map(lambda x, y: (y, x), num_parallel_calls=tf.data.AUTOTUNE).as_numpy_iterator()))
print(list(ds.map(lambda x, y: {'s': x * y}, num_parallel_calls=2, deterministic=True).as_numpy_iterator()))
ds2 = tf.data.Dataset.from_tensor_slices({'a': [1, 2], 'b': [3, 4]})
print(list(ds2.map(lambda d: d['a'] - d['b']).as_numpy_iterator()))
@tf.function
def f(x):
    return x * 10
print(list(tf.data.Dataset.range(3).map(f).as_numpy_iterator()))
m = tf.data.Dataset.range(3).map(lambda x: tf.cast(x, tf.float32) / 2)
print(m.element_spec, list(m.as_numpy_iterator()))
m = tf.data.Dataset.range(3).map(lambda x: tf.fill([x], x))
print(m.element_spec)
m = tf.data.Dataset.range(3).map(lambda x: 1.5)
print(m.element_spec, list(m.as_numpy_iterator()))
m = tf.data.Dataset.range(3).map(lambda x: [x, x])
print(m.element_spec, list(m.as_numpy_iterator()))
""", """[np.int32(4), np.int32(6)]
[(np.int32(3), np.int32(1)), (np.int32(4), np.int32(2))]
[{'s': np.int32(3)}, {'s': np.int32(8)}]
[np.int32(-2), np.int32(-2)]
[np.int64(0), np.int64(10), np.int64(20)]
TensorSpec(shape=(), dtype=tf.float32, name=None) [np.float32(0.0), np.float32(0.5), np.float32(1.0)]
TensorSpec(shape=(None,), dtype=tf.int64, name=None)
TensorSpec(shape=(), dtype=tf.float32, name=None) [np.float32(1.5), np.float32(1.5), np.float32(1.5)]
(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorSpec(shape=(), dtype=tf.int64, name=None)) [(np.int64(0), np.int64(0)), (np.int64(1), np.int64(1)), (np.int64(2), np.int64(2))]
"""),
    ('filter', """
ds = tf.data.Dataset.range(10).filter(lambda x: x % 3 == 0)
print(list(ds.as_numpy_iterator()), ds.cardinality().numpy())
ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).filter(lambda a, b: a > 1)
print(list(ds.as_numpy_iterator()))
try:
    list(tf.data.Dataset.range(3).filter(lambda x: x))
except ValueError as e:
    print('ValueError')
""", """[np.int64(0), np.int64(3), np.int64(6), np.int64(9)] -2
[(np.int32(2), np.int32(5)), (np.int32(3), np.int32(6))]
ValueError
"""),
    ('batch', """
ds = tf.data.Dataset.range(7).batch(3)
print(ds.element_spec, ds.cardinality().numpy())
for e in ds: print(e)
ds = tf.data.Dataset.range(7).batch(3, drop_remainder=True)
print(ds.element_spec, list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices(({'a': [1, 2, 3]}, [[1.], [2.], [3.]])).batch(2)
print(ds.element_spec)
print(list(ds.as_numpy_iterator()))
print(tf.data.Dataset.range(7).batch(3).batch(2).element_spec)
print(tf.data.Dataset.range(0).batch(2).cardinality().numpy())
""", """TensorSpec(shape=(None,), dtype=tf.int64, name=None) 3
tf.Tensor([0 1 2], shape=(3,), dtype=int64)
tf.Tensor([3 4 5], shape=(3,), dtype=int64)
tf.Tensor([6], shape=(1,), dtype=int64)
TensorSpec(shape=(3,), dtype=tf.int64, name=None) [array([0, 1, 2]), array([3, 4, 5])]
({'a': TensorSpec(shape=(None,), dtype=tf.int32, name=None)}, TensorSpec(shape=(None, 1), dtype=tf.float32, name=None))
[({'a': array([1, 2], dtype=int32)}, array([[1.],
       [2.]], dtype=float32)), ({'a': array([3], dtype=int32)}, array([[3.]], dtype=float32))]
TensorSpec(shape=(None, None), dtype=tf.int64, name=None)
0
"""),
    ('padded_batch', """
ds = tf.data.Dataset.range(1, 5).map(lambda x: tf.fill([x], x))
for e in ds.padded_batch(2): print(e)
print(ds.padded_batch(2).element_spec)
for e in ds.padded_batch(2, padded_shapes=5): print(e)
for e in ds.padded_batch(2, padded_shapes=[None], padding_values=tf.constant(-1, tf.int64), drop_remainder=True): print(e)
print(ds.padded_batch(2, padded_shapes=5, drop_remainder=True).element_spec)
""", """tf.Tensor(
[[1 0]
 [2 2]], shape=(2, 2), dtype=int64)
tf.Tensor(
[[3 3 3 0]
 [4 4 4 4]], shape=(2, 4), dtype=int64)
TensorSpec(shape=(None, None), dtype=tf.int64, name=None)
tf.Tensor(
[[1 0 0 0 0]
 [2 2 0 0 0]], shape=(2, 5), dtype=int64)
tf.Tensor(
[[3 3 3 0 0]
 [4 4 4 4 0]], shape=(2, 5), dtype=int64)
tf.Tensor(
[[ 1 -1]
 [ 2  2]], shape=(2, 2), dtype=int64)
tf.Tensor(
[[ 3  3  3 -1]
 [ 4  4  4  4]], shape=(2, 4), dtype=int64)
TensorSpec(shape=(2, 5), dtype=tf.int64, name=None)
"""),
    ('padded_batch tuple', """
ds = tf.data.Dataset.range(1, 4).map(lambda x: (tf.fill([x], x), tf.cast(x, tf.float32), tf.fill([x], 'a')))
try:
    ds.padded_batch(3, padding_values=(-1, 0.5, 'z'))
except TypeError:
    print('TypeError')
for e in ds.padded_batch(3, padding_values=(tf.constant(-1, tf.int64), 0.5, 'z')): print(e)
for e in ds.padded_batch(3, padded_shapes=([4], [], [None])): print(e)
""", """TypeError
(<tf.Tensor: shape=(3, 3), dtype=int64, numpy=
array([[ 1, -1, -1],
       [ 2,  2, -1],
       [ 3,  3,  3]])>, <tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>, <tf.Tensor: shape=(3, 3), dtype=string, numpy=
array([[b'a', b'z', b'z'],
       [b'a', b'a', b'z'],
       [b'a', b'a', b'a']], dtype=object)>)
(<tf.Tensor: shape=(3, 4), dtype=int64, numpy=
array([[1, 0, 0, 0],
       [2, 2, 0, 0],
       [3, 3, 3, 0]])>, <tf.Tensor: shape=(3,), dtype=float32, numpy=array([1., 2., 3.], dtype=float32)>, <tf.Tensor: shape=(3, 3), dtype=string, numpy=
array([[b'a', b'', b''],
       [b'a', b'a', b''],
       [b'a', b'a', b'a']], dtype=object)>)
"""),
    ('unbatch rebatch', """
ds = tf.data.Dataset.range(7).batch(3)
print(list(ds.unbatch().as_numpy_iterator()), ds.unbatch().element_spec)
print(ds.unbatch().cardinality().numpy())
print(list(ds.rebatch(2).as_numpy_iterator()))
print(ds.rebatch(2).element_spec)
print(list(ds.rebatch([1, 2]).as_numpy_iterator()))
print(ds.rebatch(2, drop_remainder=True).element_spec)
""", """[np.int64(0), np.int64(1), np.int64(2), np.int64(3), np.int64(4), np.int64(5), np.int64(6)] TensorSpec(shape=(), dtype=tf.int64, name=None)
-2
[array([0, 1]), array([2, 3]), array([4, 5]), array([6])]
TensorSpec(shape=(None,), dtype=tf.int64, name=None)
[array([0]), array([1, 2]), array([3]), array([4, 5]), array([6])]
TensorSpec(shape=(2,), dtype=tf.int64, name=None)
"""),
    ('repeat take skip', """
ds = tf.data.Dataset.range(3)
print(list(ds.repeat(2).as_numpy_iterator()), ds.repeat(2).cardinality().numpy())
print(ds.repeat().cardinality().numpy(), list(ds.repeat().take(7).as_numpy_iterator()))
print(list(ds.take(2).as_numpy_iterator()), list(ds.take(-1).as_numpy_iterator()), list(ds.take(10).as_numpy_iterator()))
print(list(ds.skip(1).as_numpy_iterator()), list(ds.skip(-1).as_numpy_iterator()), list(ds.skip(5).as_numpy_iterator()))
print(ds.skip(5).cardinality().numpy(), ds.take(10).cardinality().numpy(), ds.repeat().skip(2).cardinality().numpy())
print(ds.repeat(0).cardinality().numpy(), list(ds.repeat(0).as_numpy_iterator()))
print(ds.filter(lambda x: True).repeat().cardinality().numpy())
print(ds.filter(lambda x: True).take(2).cardinality().numpy())
""", """[np.int64(0), np.int64(1), np.int64(2), np.int64(0), np.int64(1), np.int64(2)] 6
-1 [np.int64(0), np.int64(1), np.int64(2), np.int64(0), np.int64(1), np.int64(2), np.int64(0)]
[np.int64(0), np.int64(1)] [np.int64(0), np.int64(1), np.int64(2)] [np.int64(0), np.int64(1), np.int64(2)]
[np.int64(1), np.int64(2)] [] []
0 3 -1
0 []
-1
-2
"""),
    ('shard enumerate', """
ds = tf.data.Dataset.range(10)
print(list(ds.shard(3, 1).as_numpy_iterator()), ds.shard(3, 1).cardinality().numpy())
print(ds.shard(3, 0).cardinality().numpy(), ds.shard(4, 3).cardinality().numpy())
print(list(ds.take(3).enumerate(5).as_numpy_iterator()))
print(ds.enumerate().element_spec)
print(list(tf.data.Dataset.from_tensor_slices(([1, 2], [3, 4])).enumerate().as_numpy_iterator()))
""", """[np.int64(1), np.int64(4), np.int64(7)] 3
4 2
[(np.int64(5), np.int64(0)), (np.int64(6), np.int64(1)), (np.int64(7), np.int64(2))]
(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorSpec(shape=(), dtype=tf.int64, name=None))
[(np.int64(0), (np.int32(1), np.int32(3))), (np.int64(1), (np.int32(2), np.int32(4)))]
"""),
    ('prefetch cache', """
ds = tf.data.Dataset.range(5).map(lambda x: x * 2).cache().prefetch(tf.data.AUTOTUNE)
print(list(ds.as_numpy_iterator()), list(ds.as_numpy_iterator()), ds.cardinality().numpy())
print(tf.data.AUTOTUNE, tf.data.experimental.AUTOTUNE)
""", """[np.int64(0), np.int64(2), np.int64(4), np.int64(6), np.int64(8)] [np.int64(0), np.int64(2), np.int64(4), np.int64(6), np.int64(8)] 5
-1 -1
"""),
    ('shuffle invariants', """
ds = tf.data.Dataset.range(10).shuffle(4, seed=3)
a = list(ds.as_numpy_iterator()); b = list(ds.as_numpy_iterator())
print(sorted(a), a != b or a == b)
ds = tf.data.Dataset.range(10).shuffle(10, seed=3, reshuffle_each_iteration=False)
print(list(ds.as_numpy_iterator()) == list(ds.as_numpy_iterator()))
print(ds.cardinality().numpy(), ds.element_spec)
ds = tf.data.Dataset.range(10).shuffle(1)
print(list(ds.as_numpy_iterator()))
ds = tf.data.Dataset.range(100).shuffle(3, seed=1)
print(all(abs(x - i) <= 2 + i for i, x in enumerate(ds.as_numpy_iterator())))
print(max(x - i for i, x in enumerate(ds.as_numpy_iterator())))
""", """[np.int64(0), np.int64(1), np.int64(2), np.int64(3), np.int64(4), np.int64(5), np.int64(6), np.int64(7), np.int64(8), np.int64(9)] True
True
10 TensorSpec(shape=(), dtype=tf.int64, name=None)
[np.int64(0), np.int64(1), np.int64(2), np.int64(3), np.int64(4), np.int64(5), np.int64(6), np.int64(7), np.int64(8), np.int64(9)]
True
2
"""),
    ('window flat_map', """
ds = tf.data.Dataset.range(7).window(3)
print(ds.element_spec)
for w in ds: print(list(w.as_numpy_iterator()))
for w in tf.data.Dataset.range(7).window(3, shift=2, drop_remainder=True): print(list(w.as_numpy_iterator()))
for w in tf.data.Dataset.range(7).window(3, shift=1, stride=2): print(list(w.as_numpy_iterator()))
print(list(tf.data.Dataset.range(7).window(3, 1, 1, True).flat_map(lambda w: w.batch(3)).as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).window(2)
print(ds.element_spec)
print(list(ds.flat_map(lambda a, b: tf.data.Dataset.zip((a, b))).as_numpy_iterator()))
print(tf.data.Dataset.range(7).window(3).cardinality().numpy(), tf.data.Dataset.range(7).window(3, drop_remainder=True).cardinality().numpy())
""", """DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))
[np.int64(0), np.int64(1), np.int64(2)]
[np.int64(3), np.int64(4), np.int64(5)]
[np.int64(6)]
[np.int64(0), np.int64(1), np.int64(2)]
[np.int64(2), np.int64(3), np.int64(4)]
[np.int64(4), np.int64(5), np.int64(6)]
[np.int64(0), np.int64(2), np.int64(4)]
[np.int64(1), np.int64(3), np.int64(5)]
[np.int64(2), np.int64(4), np.int64(6)]
[np.int64(3), np.int64(5)]
[np.int64(4), np.int64(6)]
[np.int64(5)]
[np.int64(6)]
[array([0, 1, 2]), array([1, 2, 3]), array([2, 3, 4]), array([3, 4, 5]), array([4, 5, 6])]
(DatasetSpec(TensorSpec(shape=(), dtype=tf.int32, name=None), TensorShape([])), DatasetSpec(TensorSpec(shape=(), dtype=tf.int32, name=None), TensorShape([])))
[(np.int32(1), np.int32(4)), (np.int32(2), np.int32(5)), (np.int32(3), np.int32(6))]
3 2
"""),
    ('flat_map', """
ds = tf.data.Dataset.range(1, 4).flat_map(lambda x: tf.data.Dataset.from_tensors(x).repeat(x))
print(list(ds.as_numpy_iterator()), ds.cardinality().numpy(), ds.element_spec)
""", """[np.int64(1), np.int64(2), np.int64(2), np.int64(3), np.int64(3), np.int64(3)] -2 TensorSpec(shape=(), dtype=tf.int64, name=None)
"""),
    ('interleave', """
ds = tf.data.Dataset.range(1, 6)
f = lambda x: tf.data.Dataset.from_tensors(x).repeat(6)
print(list(ds.interleave(f, cycle_length=2, block_length=4).as_numpy_iterator()))
print(list(ds.interleave(f, cycle_length=3, block_length=1).as_numpy_iterator()))
g = lambda x: tf.data.Dataset.range(x)
print(list(ds.interleave(g, cycle_length=2).as_numpy_iterator()))
print(list(ds.interleave(g, cycle_length=2, block_length=2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).as_numpy_iterator()))
print(ds.interleave(g, cycle_length=2).element_spec, ds.interleave(g, cycle_length=2).cardinality().numpy())
print(sorted(ds.interleave(g).as_numpy_iterator()))
""", """[np.int64(1), np.int64(1), np.int64(1), np.int64(1), np.int64(2), np.int64(2), np.int64(2), np.int64(2), np.int64(1), np.int64(1), np.int64(2), np.int64(2), np.int64(3), np.int64(3), np.int64(3), np.int64(3), np.int64(4), np.int64(4), np.int64(4), np.int64(4), np.int64(3), np.int64(3), np.int64(4), np.int64(4), np.int64(5), np.int64(5), np.int64(5), np.int64(5), np.int64(5), np.int64(5)]
[np.int64(1), np.int64(2), np.int64(3), np.int64(1), np.int64(2), np.int64(3), np.int64(1), np.int64(2), np.int64(3), np.int64(1), np.int64(2), np.int64(3), np.int64(1), np.int64(2), np.int64(3), np.int64(1), np.int64(2), np.int64(3), np.int64(4), np.int64(5), np.int64(4), np.int64(5), np.int64(4), np.int64(5), np.int64(4), np.int64(5), np.int64(4), np.int64(5), np.int64(4), np.int64(5)]
[np.int64(0), np.int64(0), np.int64(1), np.int64(0), np.int64(1), np.int64(0), np.int64(2), np.int64(1), np.int64(2), np.int64(0), np.int64(3), np.int64(1), np.int64(2), np.int64(3), np.int64(4)]
[np.int64(0), np.int64(0), np.int64(1), np.int64(0), np.int64(1), np.int64(2), np.int64(0), np.int64(1), np.int64(0), np.int64(1), np.int64(2), np.int64(3), np.int64(2), np.int64(3), np.int64(4)]
TensorSpec(shape=(), dtype=tf.int64, name=None) -2
[np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(0), np.int64(1), np.int64(1), np.int64(1), np.int64(1), np.int64(2), np.int64(2), np.int64(2), np.int64(3), np.int64(3), np.int64(4)]
"""),
    ('reduce scan', """
ds = tf.data.Dataset.range(5)
print(ds.reduce(np.int64(0), lambda s, x: s + x))
try:
    ds.reduce(0, lambda s, x: s + x)
except (TypeError, tf.errors.InvalidArgumentError):
    print("int32 state")
print(ds.reduce(np.int64(0), lambda s, x: s + x))
print(ds.reduce((0.0, 0), lambda s, x: (s[0] + tf.cast(x, tf.float32), s[1] + 1)))
print(list(ds.scan(np.int64(0), lambda s, x: (s + x, s * 10)).as_numpy_iterator()))
print(ds.scan(np.int64(0), lambda s, x: (s + x, tf.fill([x], s))).element_spec)
try:
    ds.scan(0, lambda s, x: (tf.cast(x, tf.float32), x))
except TypeError:
    print('TypeError')
print(list(ds.scan(tf.constant(0, tf.int64), lambda s, x: (s + x, s)).as_numpy_iterator()))
print(ds.scan(0, lambda s, x: (s + 1, x)).cardinality().numpy())
""", """tf.Tensor(10, shape=(), dtype=int64)
int32 state
tf.Tensor(10, shape=(), dtype=int64)
(<tf.Tensor: shape=(), dtype=float32, numpy=10.0>, <tf.Tensor: shape=(), dtype=int32, numpy=5>)
[np.int64(0), np.int64(0), np.int64(10), np.int64(30), np.int64(60)]
TensorSpec(shape=(None,), dtype=tf.int64, name=None)
TypeError
[np.int64(0), np.int64(0), np.int64(1), np.int64(3), np.int64(6)]
5
"""),
    ('apply group_by_window bucket', """
ds = tf.data.Dataset.range(10)
print(list(ds.apply(lambda d: d.take(2)).as_numpy_iterator()))
g = ds.group_by_window(key_func=lambda x: x % 2, reduce_func=lambda k, w: w.batch(3), window_size=3)
print(list(map(list, g.as_numpy_iterator())))
g = ds.group_by_window(lambda x: x % 3, lambda k, w: w.batch(10), window_size=10)
print(list(map(list, g.as_numpy_iterator())))
""", """[np.int64(0), np.int64(1)]
[[np.int64(0), np.int64(2), np.int64(4)], [np.int64(1), np.int64(3), np.int64(5)], [np.int64(6), np.int64(8)], [np.int64(7), np.int64(9)]]
[[np.int64(0), np.int64(3), np.int64(6), np.int64(9)], [np.int64(1), np.int64(4), np.int64(7)], [np.int64(2), np.int64(5), np.int64(8)]]
"""),
    ('bucket', """
ds = tf.data.Dataset.from_generator(lambda: ([1] * n for n in [1, 5, 2, 7, 3, 8, 1]), output_signature=tf.TensorSpec((None,), tf.int32))
b = ds.bucket_by_sequence_length(lambda x: tf.shape(x)[0], bucket_boundaries=[3, 6], bucket_batch_sizes=[2, 2, 2])
for e in b: print(e.numpy().tolist())
print(b.element_spec)
b = ds.bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2], pad_to_bucket_boundary=True, drop_remainder=False)
try:
    for e in b: print(e.numpy().tolist())
except tf.errors.OpError:
    print('OpError')
""", """[[1, 0], [1, 1]]
[[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
[[1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1]]
[[1]]
TensorSpec(shape=(None, None), dtype=tf.int32, name=None)
[[1, 0], [1, 1]]
[[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
OpError
"""),
    ('take_while unique ignore_errors', """
ds = tf.data.Dataset.range(10)
print(list(ds.take_while(lambda x: x < 4).as_numpy_iterator()))
print(list(tf.data.Dataset.from_tensor_slices([1, 3, 1, 2, 3]).unique().as_numpy_iterator()))
ds = tf.data.Dataset.from_tensor_slices([1., 0., 2.]).map(lambda x: tf.debugging.check_numerics(1. / x, 'bad'))
print(list(ds.ignore_errors().as_numpy_iterator()))
print(ds.ignore_errors().cardinality().numpy())
""", """[np.int64(0), np.int64(1), np.int64(2), np.int64(3)]
[np.int32(1), np.int32(3), np.int32(2)]
[np.float32(1.0), np.float32(0.5)]
-2
"""),
    ('cardinality constants len', """
print(tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY)
print(tf.data.experimental.INFINITE_CARDINALITY, tf.data.experimental.UNKNOWN_CARDINALITY)
ds = tf.data.Dataset.range(5)
print(tf.data.experimental.cardinality(ds))
print(ds.cardinality())
print(len(ds))
for d in (ds.repeat(), ds.filter(lambda x: True)):
    try:
        len(d)
    except TypeError as e:
        print('TypeError', e)
a = ds.filter(lambda x: True).apply(tf.data.experimental.assert_cardinality(5))
print(a.cardinality().numpy(), list(a.as_numpy_iterator()))
for n in (4, 6):
    try:
        list(ds.filter(lambda x: True).apply(tf.data.experimental.assert_cardinality(n)))
    except tf.errors.FailedPreconditionError as e:
        print(str(e).split('}} ')[-1].split(' [Op')[0])
""", """-1 -2
-1 -2
tf.Tensor(5, shape=(), dtype=int64)
tf.Tensor(5, shape=(), dtype=int64)
5
TypeError The dataset is infinite.
TypeError The dataset length is unknown.
5 [np.int64(0), np.int64(1), np.int64(2), np.int64(3), np.int64(4)]
Input dataset was expected to contain 4 elements but contained at least 5 elements.
Input dataset was expected to contain 6 elements but contained only 5 elements.
"""),
    ('element_spec print repr', """
ds = tf.data.Dataset.from_tensor_slices({'a': [1, 2], 'b': [[1.], [2.]]})
print(ds.element_spec)
print(repr(ds.element_spec['a']))
print(tf.data.Dataset.range(3).batch(2).element_spec)
print(isinstance(ds, tf.data.Dataset))
""", """{'a': TensorSpec(shape=(), dtype=tf.int32, name=None), 'b': TensorSpec(shape=(1,), dtype=tf.float32, name=None)}
TensorSpec(shape=(), dtype=tf.int32, name=None)
TensorSpec(shape=(None,), dtype=tf.int64, name=None)
True
"""),
    ('iterator', """
it = iter(tf.data.Dataset.range(2))
print(it.get_next())
print(next(it))
o = it.get_next_as_optional()
print(o.has_value())
try:
    it.get_next()
except tf.errors.OutOfRangeError as e:
    print('OutOfRangeError')
it = iter(tf.data.Dataset.range(2))
o = it.get_next_as_optional()
print(o.has_value(), o.get_value())
print(it.element_spec)
print(it.get_next_as_optional().has_value(), it.get_next_as_optional().has_value())
""", """tf.Tensor(0, shape=(), dtype=int64)
tf.Tensor(1, shape=(), dtype=int64)
tf.Tensor(False, shape=(), dtype=bool)
OutOfRangeError
tf.Tensor(True, shape=(), dtype=bool) tf.Tensor(0, shape=(), dtype=int64)
TensorSpec(shape=(), dtype=tf.int64, name=None)
tf.Tensor(True, shape=(), dtype=bool) tf.Tensor(False, shape=(), dtype=bool)
"""),
    ('numpy iterator', """
ds = tf.data.Dataset.from_tensor_slices((['a', 'b'], [1., 2.]))
print(list(ds.as_numpy_iterator()))
for x in ds.as_numpy_iterator():
    print(type(x[0]).__name__, type(x[1]).__name__)
ds = tf.data.Dataset.from_tensors({'a': np.zeros((2,), np.float16)})
print(list(ds.as_numpy_iterator()))
it = tf.data.Dataset.range(3).as_numpy_iterator()
print(next(it), type(next(it)).__name__)
""", """[(b'a', np.float32(1.0)), (b'b', np.float32(2.0))]
bytes float32
bytes float32
[{'a': array([0., 0.], dtype=float16)}]
0 int64
"""),
    ('keras fit', """
tf.random.set_seed(0)
x = np.arange(12, dtype=np.float32).reshape(6, 2)
y = x.sum(axis=1, keepdims=True)
ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
m = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1, kernel_initializer='ones', bias_initializer='zeros')])
m.compile(optimizer=tf.keras.optimizers.SGD(0.0), loss='mse')
h = m.fit(ds, epochs=2, verbose=0)
print(h.history['loss'])
print(m.evaluate(ds, verbose=0))
print(m.predict(ds, verbose=0).shape)
""", """[0.0, 0.0]
0.0
(6, 1)
"""),
    ('ignore_errors in map and filter', """
ds = tf.data.Dataset.from_tensor_slices([1., 0., 2., 4.])
m = ds.map(lambda x: tf.debugging.check_numerics(1. / x, 'inf'))
print(list(m.ignore_errors().as_numpy_iterator()))
print(list(m.ignore_errors().map(lambda x: x * 2).as_numpy_iterator()))
try:
    list(m)
except tf.errors.InvalidArgumentError:
    print('InvalidArgumentError')
""", """[np.float32(1.0), np.float32(0.5), np.float32(0.25)]
[np.float32(2.0), np.float32(1.0), np.float32(0.5)]
InvalidArgumentError
"""),
    ('window of dicts and its batches', """
ds = tf.data.Dataset.from_tensor_slices({'a': [1, 2, 3, 4, 5]}).window(2, drop_remainder=True)
print(ds.element_spec)
print(list(ds.flat_map(lambda d: d['a'].batch(2)).as_numpy_iterator()))
print(list(tf.data.Dataset.range(5).window(2, shift=3).flat_map(lambda w: w.batch(2)).as_numpy_iterator()))
print(tf.data.Dataset.range(5).window(2, shift=3).cardinality().numpy())
""", """{'a': DatasetSpec(TensorSpec(shape=(), dtype=tf.int32, name=None), TensorShape([]))}
[array([1, 2], dtype=int32), array([3, 4], dtype=int32)]
[array([0, 1]), array([3, 4])]
2
"""),
    ('sample and choose when a dataset ends', """
a = tf.data.Dataset.range(3); b = tf.data.Dataset.range(10, 12)
c = tf.data.Dataset.choose_from_datasets([a, b], tf.data.Dataset.from_tensor_slices(tf.constant([0, 1, 1, 1, 0, 0, 0], tf.int64)))
print(list(c.as_numpy_iterator()))
c = tf.data.Dataset.choose_from_datasets([a, b], tf.data.Dataset.from_tensor_slices(tf.constant([0, 1, 1, 1, 0, 0, 0], tf.int64)), stop_on_empty_dataset=False)
print(list(c.as_numpy_iterator()))
s = tf.data.Dataset.sample_from_datasets([a, b], weights=[0.9, 0.1], seed=3)
print(sorted(s.as_numpy_iterator()), s.cardinality().numpy())
s = tf.data.Dataset.sample_from_datasets([a, b], seed=3, stop_on_empty_dataset=True)
out = list(s.as_numpy_iterator())
print(len(out) < 5 or sorted(out) == [0, 1, 2, 10, 11])
""", """[np.int64(0), np.int64(10), np.int64(11)]
[np.int64(0), np.int64(10), np.int64(11), np.int64(1), np.int64(2)]
[np.int64(0), np.int64(1), np.int64(2), np.int64(10), np.int64(11)] -2
True
"""),
    ('rebatch and padded_batch of strings and matrices', """
ds = tf.data.Dataset.from_tensor_slices(['a', 'bb', 'ccc']).map(lambda s: tf.strings.bytes_split(s).to_tensor() if False else tf.fill([tf.strings.length(s)], s))
for e in ds.padded_batch(2): print(e)
m = tf.data.Dataset.range(1, 3).map(lambda x: tf.ones([x, 2], tf.float32))
for e in m.padded_batch(2, padded_shapes=[3, None], padding_values=-1.): print(e)
print(m.padded_batch(2, padded_shapes=[3, None]).element_spec)
r = tf.data.Dataset.range(10).batch(4, drop_remainder=True).rebatch(3, drop_remainder=True)
print(list(r.as_numpy_iterator()), r.element_spec)
""", """tf.Tensor(
[[b'a' b'']
 [b'bb' b'bb']], shape=(2, 2), dtype=string)
tf.Tensor([[b'ccc' b'ccc' b'ccc']], shape=(1, 3), dtype=string)
tf.Tensor(
[[[ 1.  1.]
  [-1. -1.]
  [-1. -1.]]

 [[ 1.  1.]
  [ 1.  1.]
  [-1. -1.]]], shape=(2, 3, 2), dtype=float32)
TensorSpec(shape=(None, 3, None), dtype=tf.float32, name=None)
[array([0, 1, 2]), array([3, 4, 5])] TensorSpec(shape=(3,), dtype=tf.int64, name=None)
"""),
    ('take_while unique group_by_window specs', """
ds = tf.data.Dataset.range(10)
print(ds.take_while(lambda x: x < 4).element_spec, ds.take_while(lambda x: x < 4).cardinality().numpy())
print(ds.unique().cardinality().numpy())
print(list(tf.data.Dataset.from_tensor_slices(['b', 'a', 'b']).unique().as_numpy_iterator()))
g = ds.group_by_window(lambda x: x % 2, lambda k, w: w.batch(2).map(lambda b: (k, b)), window_size=2)
print(g.element_spec)
print(list(g.take(3).as_numpy_iterator()))
""", """TensorSpec(shape=(), dtype=tf.int64, name=None) -2
-2
[b'b', b'a']
(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorSpec(shape=(None,), dtype=tf.int64, name=None))
[(np.int64(0), array([0, 2])), (np.int64(1), array([1, 3])), (np.int64(0), array([4, 6]))]
"""),
)
