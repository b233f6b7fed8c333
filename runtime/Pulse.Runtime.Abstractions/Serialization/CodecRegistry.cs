using System.Collections.Concurrent;

namespace Pulse.Runtime.Serialization;

/// <summary>
/// Finds the codec and copier of a type: generated ones registered at module initialisation, then
/// the built-in ones for primitives, strings, collections and the like.
/// </summary>
public static partial class CodecRegistry
{
    private static readonly ConcurrentDictionary<Type, object> s_codecs = new();
    private static readonly ConcurrentDictionary<Type, object> s_copiers = new();

    /// <summary>Registers the codec for <typeparamref name="T"/> (generated code calls this).</summary>
    public static void RegisterCodec<T>(IFieldCodec<T> codec) => s_codecs[typeof(T)] = codec;

    /// <summary>Registers the copier for <typeparamref name="T"/> (generated code calls this).</summary>
    public static void RegisterCopier<T>(IDeepCopier<T> copier) => s_copiers[typeof(T)] = copier;

    internal static IFieldCodec<T> ResolveCodec<T>()
    {
        if (s_codecs.TryGetValue(typeof(T), out object? codec))
        {
            return (IFieldCodec<T>)codec;
        }

        IFieldCodec<T> resolved = CreateBuiltInCodec<T>()
            ?? throw new PulseSerializationException(
                $"No codec for type {typeof(T)}. Mark it [GenerateSerializer] with [Id] members, or use a supported built-in type.");
        return (IFieldCodec<T>)s_codecs.GetOrAdd(typeof(T), resolved);
    }

    internal static IDeepCopier<T> ResolveCopier<T>()
    {
        if (s_copiers.TryGetValue(typeof(T), out object? copier))
        {
            return (IDeepCopier<T>)copier;
        }

        IDeepCopier<T> resolved = CreateBuiltInCopier<T>()
            ?? throw new PulseSerializationException(
                $"No copier for type {typeof(T)}. Mark it [GenerateSerializer] (or [Immutable]), or use a supported built-in type.");
        return (IDeepCopier<T>)s_copiers.GetOrAdd(typeof(T), resolved);
    }

    /// <summary>Built-in codecs; implemented in BuiltInCodecs.cs.</summary>
    private static partial IFieldCodec<T>? CreateBuiltInCodec<T>();

    /// <summary>Built-in copiers; implemented in BuiltInCodecs.cs.</summary>
    private static partial IDeepCopier<T>? CreateBuiltInCopier<T>();
}
