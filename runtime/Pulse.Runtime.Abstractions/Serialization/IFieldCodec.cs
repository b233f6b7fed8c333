namespace Pulse.Runtime.Serialization;

/// <summary>Writes and reads values of one type in Pulse's tagged binary format.</summary>
/// <typeparam name="T">The type.</typeparam>
public interface IFieldCodec<T>
{
    /// <summary>Writes the tag for <paramref name="fieldId"/> and the value (a <see cref="WireType.Null"/> tag for null).</summary>
    void WriteField(PulseWriter writer, uint fieldId, T value);

    /// <summary>Reads a value whose tag (with <paramref name="wireType"/>) was just read.</summary>
    /// <exception cref="PulseSerializationException">The wire type does not fit the type, or the data is corrupt.</exception>
    T ReadValue(PulseReader reader, WireType wireType);
}

/// <summary>Makes copies of values of one type that share no mutable state with the original.</summary>
/// <typeparam name="T">The type.</typeparam>
public interface IDeepCopier<T>
{
    /// <summary>Returns a deep copy (or the value itself when it is immutable).</summary>
    T DeepCopy(T value);
}

/// <summary>The codec for <typeparamref name="T"/>, resolved once per type.</summary>
/// <typeparam name="T">The type.</typeparam>
public static class Codec<T>
{
    private static IFieldCodec<T>? s_instance;

    /// <summary>The codec; resolving an unsupported type throws <see cref="PulseSerializationException"/>.</summary>
    public static IFieldCodec<T> Instance => s_instance ??= CodecRegistry.ResolveCodec<T>();

    internal static void Reset() => s_instance = null;
}

/// <summary>The deep copier for <typeparamref name="T"/>, resolved once per type.</summary>
/// <typeparam name="T">The type.</typeparam>
public static class Copier<T>
{
    private static IDeepCopier<T>? s_instance;

    /// <summary>The copier.</summary>
    public static IDeepCopier<T> Instance => s_instance ??= CodecRegistry.ResolveCopier<T>();

    /// <summary>Copies <paramref name="value"/> deeply (immutable values are returned as they are).</summary>
    public static T Copy(T value) => Instance.DeepCopy(value);

    internal static void Reset() => s_instance = null;
}
