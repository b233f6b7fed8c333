using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Pulse.Runtime.Serialization.Codecs;

/// <summary>
/// Implemented by copiers of composites (Nullable, pairs, tuples, immutable arrays) that are the
/// identity when all their parts are; the registry then hands out <see cref="IdentityCopier{T}"/>
/// instead, so identity propagates to enclosing collections.
/// </summary>
internal interface ICompositeCopier
{
    bool PartsAreIdentity { get; }
}

/// <summary>Helpers shared by the collection copiers.</summary>
internal static class CopierFacts
{
    public static bool IsIdentity<T>() => Copier<T>.Instance is IIdentityCopier;
}

/// <summary><c>byte[]</c>: a new array with the same bytes.</summary>
internal sealed class ByteArrayCopier : IDeepCopier<byte[]>
{
    public static readonly ByteArrayCopier Instance = new();

    public byte[] DeepCopy(byte[] value) => value is null || value.Length == 0 ? value! : value.AsSpan().ToArray();
}

/// <summary><c>T[]</c>: a new array; elements copied unless their copier is the identity.</summary>
internal sealed class ArrayCopier<T> : IDeepCopier<T[]>
{
    private readonly IDeepCopier<T> _element = Copier<T>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<T>();

    public T[] DeepCopy(T[] value)
    {
        if (value is null || value.Length == 0)
        {
            return value!;
        }

        if (_identity)
        {
            return value.AsSpan().ToArray();
        }

        T[] copy = new T[value.Length];
        for (int i = 0; i < value.Length; i++)
        {
            copy[i] = _element.DeepCopy(value[i]);
        }

        return copy;
    }
}

/// <summary><see cref="List{T}"/>: a new list; elements copied unless their copier is the identity.</summary>
internal sealed class ListCopier<T> : IDeepCopier<List<T>>
{
    private readonly IDeepCopier<T> _element = Copier<T>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<T>();

    public List<T> DeepCopy(List<T> value) => value is null ? null! : Copy(value, _element, _identity);

    public static List<T> Copy(List<T> value, IDeepCopier<T> element, bool identity)
    {
        ReadOnlySpan<T> items = CollectionsMarshal.AsSpan(value);
        List<T> copy = new(items.Length);
        if (identity)
        {
            copy.AddRange(items);
            return copy;
        }

        foreach (T item in items)
        {
            copy.Add(element.DeepCopy(item));
        }

        return copy;
    }
}

/// <summary><see cref="HashSet{T}"/>: a new set with the same comparer.</summary>
internal sealed class HashSetCopier<T> : IDeepCopier<HashSet<T>>
{
    private readonly IDeepCopier<T> _element = Copier<T>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<T>();

    public HashSet<T> DeepCopy(HashSet<T> value) => value is null ? null! : Copy(value, _element, _identity);

    public static HashSet<T> Copy(HashSet<T> value, IDeepCopier<T> element, bool identity)
    {
        if (identity)
        {
            // This constructor clones the internal buckets when the comparers match.
            return new HashSet<T>(value, value.Comparer);
        }

        HashSet<T> copy = new(value.Count, value.Comparer);
        foreach (T item in value)
        {
            copy.Add(element.DeepCopy(item));
        }

        return copy;
    }
}

/// <summary><see cref="Dictionary{TKey, TValue}"/>: a new dictionary with the same comparer.</summary>
internal sealed class DictionaryCopier<TKey, TValue> : IDeepCopier<Dictionary<TKey, TValue>>
    where TKey : notnull
{
    private readonly IDeepCopier<TKey> _key = Copier<TKey>.Instance;
    private readonly IDeepCopier<TValue> _value = Copier<TValue>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<TKey>() && CopierFacts.IsIdentity<TValue>();

    public Dictionary<TKey, TValue> DeepCopy(Dictionary<TKey, TValue> value) =>
        value is null ? null! : Copy(value, _key, _value, _identity);

    public static Dictionary<TKey, TValue> Copy(
        Dictionary<TKey, TValue> value, IDeepCopier<TKey> keyCopier, IDeepCopier<TValue> valueCopier, bool identity)
    {
        if (identity)
        {
            return new Dictionary<TKey, TValue>(value, value.Comparer);
        }

        Dictionary<TKey, TValue> copy = new(value.Count, value.Comparer);
        foreach (KeyValuePair<TKey, TValue> entry in value)
        {
            copy.Add(keyCopier.DeepCopy(entry.Key), valueCopier.DeepCopy(entry.Value));
        }

        return copy;
    }
}

/// <summary>
/// The list-like interfaces: arrays, lists and sets keep their concrete type, immutable collections
/// of immutable elements are returned as they are, anything else becomes a <see cref="List{T}"/>.
/// </summary>
internal sealed class ListInterfaceCopier<TCollection, T> : IDeepCopier<TCollection>
    where TCollection : class, IEnumerable<T>
{
    private readonly IDeepCopier<T> _element = Copier<T>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<T>();

    public TCollection DeepCopy(TCollection value)
    {
        object? copy = value switch
        {
            null => null,
            T[] array => Copier<T[]>.Instance.DeepCopy(array),
            List<T> list => ListCopier<T>.Copy(list, _element, _identity),
            HashSet<T> set => HashSetCopier<T>.Copy(set, _element, _identity),
            IImmutableList<T> or IImmutableSet<T> when _identity => value,
            _ => CopyToList(value),
        };
        return (TCollection)copy!;
    }

    private List<T> CopyToList(TCollection value)
    {
        List<T> copy = value is IReadOnlyCollection<T> sized ? new(sized.Count) : [];
        foreach (T item in value)
        {
            copy.Add(_element.DeepCopy(item));
        }

        return copy;
    }
}

/// <summary>
/// <see cref="ISet{T}"/> and <see cref="IReadOnlySet{T}"/>: hash sets keep their comparer, immutable
/// sets of immutable elements are returned as they are, anything else becomes a <see cref="HashSet{T}"/>.
/// </summary>
internal sealed class SetInterfaceCopier<TCollection, T> : IDeepCopier<TCollection>
    where TCollection : class, IEnumerable<T>
{
    private readonly IDeepCopier<T> _element = Copier<T>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<T>();

    public TCollection DeepCopy(TCollection value)
    {
        object? copy = value switch
        {
            null => null,
            HashSet<T> set => HashSetCopier<T>.Copy(set, _element, _identity),
            IImmutableSet<T> when _identity => value,
            _ => CopyToSet(value),
        };
        return (TCollection)copy!;
    }

    private HashSet<T> CopyToSet(TCollection value)
    {
        HashSet<T> copy = [];
        foreach (T item in value)
        {
            copy.Add(_element.DeepCopy(item));
        }

        return copy;
    }
}

/// <summary>
/// <see cref="IDictionary{TKey, TValue}"/> and <see cref="IReadOnlyDictionary{TKey, TValue}"/>:
/// dictionaries keep their comparer, immutable dictionaries of immutable entries are returned as
/// they are, anything else becomes a <see cref="Dictionary{TKey, TValue}"/>.
/// </summary>
internal sealed class DictionaryInterfaceCopier<TDictionary, TKey, TValue> : IDeepCopier<TDictionary>
    where TDictionary : class, IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    private readonly IDeepCopier<TKey> _key = Copier<TKey>.Instance;
    private readonly IDeepCopier<TValue> _value = Copier<TValue>.Instance;
    private readonly bool _identity = CopierFacts.IsIdentity<TKey>() && CopierFacts.IsIdentity<TValue>();

    public TDictionary DeepCopy(TDictionary value)
    {
        object? copy = value switch
        {
            null => null,
            Dictionary<TKey, TValue> dictionary => DictionaryCopier<TKey, TValue>.Copy(dictionary, _key, _value, _identity),
            IImmutableDictionary<TKey, TValue> when _identity => value,
            _ => CopyToDictionary(value),
        };
        return (TDictionary)copy!;
    }

    private Dictionary<TKey, TValue> CopyToDictionary(TDictionary value)
    {
        Dictionary<TKey, TValue> copy = [];
        foreach (KeyValuePair<TKey, TValue> entry in value)
        {
            copy.Add(_key.DeepCopy(entry.Key), _value.DeepCopy(entry.Value));
        }

        return copy;
    }
}
