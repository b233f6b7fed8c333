using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Pulse.Runtime.Serialization.Codecs;

// When all parts of a composite are immutable, the registry replaces these copiers with
// IdentityCopier<T> (see ICompositeCopier), so their DeepCopy runs only for mutable parts.

/// <summary><see cref="Nullable{T}"/> through <typeparamref name="T"/>'s copier.</summary>
internal sealed class NullableCopier<T> : IDeepCopier<T?>, ICompositeCopier
    where T : struct
{
    private readonly IDeepCopier<T> _inner = Copier<T>.Instance;

    public bool PartsAreIdentity => _inner is IIdentityCopier;

    public T? DeepCopy(T? value) => value is { } present ? _inner.DeepCopy(present) : null;
}

/// <summary><see cref="ImmutableArray{T}"/> whose elements are mutable: a new array of copies.</summary>
internal sealed class ImmutableArrayCopier<T> : IDeepCopier<ImmutableArray<T>>, ICompositeCopier
{
    private readonly IDeepCopier<T> _element = Copier<T>.Instance;

    public bool PartsAreIdentity => _element is IIdentityCopier;

    public ImmutableArray<T> DeepCopy(ImmutableArray<T> value)
    {
        if (value.IsDefaultOrEmpty)
        {
            return value;
        }

        T[] copy = new T[value.Length];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = _element.DeepCopy(value[i]);
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(copy);
    }
}

/// <summary><see cref="KeyValuePair{TKey, TValue}"/>: both parts copied.</summary>
internal sealed class KeyValuePairCopier<TKey, TValue> : IDeepCopier<KeyValuePair<TKey, TValue>>, ICompositeCopier
{
    private readonly IDeepCopier<TKey> _key = Copier<TKey>.Instance;
    private readonly IDeepCopier<TValue> _value = Copier<TValue>.Instance;

    public bool PartsAreIdentity => _key is IIdentityCopier && _value is IIdentityCopier;

    public KeyValuePair<TKey, TValue> DeepCopy(KeyValuePair<TKey, TValue> value) =>
        new(_key.DeepCopy(value.Key), _value.DeepCopy(value.Value));
}

/// <summary><see cref="ValueTuple{T1, T2}"/>: every item copied.</summary>
internal sealed class ValueTupleCopier<T1, T2> : IDeepCopier<ValueTuple<T1, T2>>, ICompositeCopier
{
    private readonly IDeepCopier<T1> _item1 = Copier<T1>.Instance;
    private readonly IDeepCopier<T2> _item2 = Copier<T2>.Instance;

    public bool PartsAreIdentity => _item1 is IIdentityCopier && _item2 is IIdentityCopier;

    public ValueTuple<T1, T2> DeepCopy(ValueTuple<T1, T2> value) =>
        (_item1.DeepCopy(value.Item1), _item2.DeepCopy(value.Item2));
}

/// <summary><see cref="ValueTuple{T1, T2, T3}"/>: every item copied.</summary>
internal sealed class ValueTupleCopier<T1, T2, T3> : IDeepCopier<ValueTuple<T1, T2, T3>>, ICompositeCopier
{
    private readonly IDeepCopier<T1> _item1 = Copier<T1>.Instance;
    private readonly IDeepCopier<T2> _item2 = Copier<T2>.Instance;
    private readonly IDeepCopier<T3> _item3 = Copier<T3>.Instance;

    public bool PartsAreIdentity => _item1 is IIdentityCopier && _item2 is IIdentityCopier && _item3 is IIdentityCopier;

    public ValueTuple<T1, T2, T3> DeepCopy(ValueTuple<T1, T2, T3> value) =>
        (_item1.DeepCopy(value.Item1), _item2.DeepCopy(value.Item2), _item3.DeepCopy(value.Item3));
}
