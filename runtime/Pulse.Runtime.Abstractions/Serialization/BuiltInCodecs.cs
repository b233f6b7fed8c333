using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization.Codecs;

namespace Pulse.Runtime.Serialization;

public static partial class CodecRegistry
{
    private static partial IFieldCodec<T>? CreateBuiltInCodec<T>() => (IFieldCodec<T>?)BuiltInCodecs.CreateCodec(typeof(T));

    private static partial IDeepCopier<T>? CreateBuiltInCopier<T>()
    {
        if (BuiltInCodecs.IsImmutable(typeof(T)))
        {
            return IdentityCopier<T>.Instance;
        }

        object? copier = BuiltInCodecs.CreateCopier(typeof(T));
        if (copier is ICompositeCopier { PartsAreIdentity: true })
        {
            return IdentityCopier<T>.Instance;
        }

        return (IDeepCopier<T>?)copier;
    }
}

/// <summary>
/// Chooses the built-in codec or copier of a type. Runs once per type (the result is cached by
/// <see cref="CodecRegistry"/> and <see cref="Codec{T}"/>), so reflection here is a startup cost only.
/// </summary>
internal static class BuiltInCodecs
{
    private static readonly Dictionary<Type, object> s_codecs = new()
    {
        [typeof(bool)] = BoolCodec.Instance,
        [typeof(byte)] = ByteCodec.Instance,
        [typeof(sbyte)] = SByteCodec.Instance,
        [typeof(short)] = Int16Codec.Instance,
        [typeof(ushort)] = UInt16Codec.Instance,
        [typeof(int)] = Int32Codec.Instance,
        [typeof(uint)] = UInt32Codec.Instance,
        [typeof(long)] = Int64Codec.Instance,
        [typeof(ulong)] = UInt64Codec.Instance,
        [typeof(char)] = CharCodec.Instance,
        [typeof(float)] = SingleCodec.Instance,
        [typeof(double)] = DoubleCodec.Instance,
        [typeof(decimal)] = DecimalCodec.Instance,
        [typeof(Guid)] = GuidCodec.Instance,
        [typeof(string)] = StringCodec.Instance,
        [typeof(byte[])] = ByteArrayCodec.Instance,
        [typeof(ReadOnlyMemory<byte>)] = ReadOnlyMemoryCodec.Instance,
        [typeof(DateTime)] = DateTimeCodec.Instance,
        [typeof(DateTimeOffset)] = DateTimeOffsetCodec.Instance,
        [typeof(TimeSpan)] = TimeSpanCodec.Instance,
        [typeof(DateOnly)] = DateOnlyCodec.Instance,
        [typeof(TimeOnly)] = TimeOnlyCodec.Instance,
        [typeof(GrainId)] = GrainIdCodec.Instance,
        [typeof(GrainType)] = GrainTypeCodec.Instance,
        [typeof(NoResult)] = NoResultCodec.Instance,
        [typeof(Exception)] = ExceptionCodec.Instance,
    };

    /// <summary>Types whose values are never mutated, so copying returns them as they are.</summary>
    public static bool IsImmutable(Type type) =>
        type.IsPrimitive
        || type.IsEnum
        || type == typeof(string)
        || type == typeof(decimal)
        || type == typeof(Guid)
        || type == typeof(DateTime)
        || type == typeof(DateTimeOffset)
        || type == typeof(TimeSpan)
        || type == typeof(DateOnly)
        || type == typeof(TimeOnly)
        || type == typeof(GrainId)
        || type == typeof(GrainType)
        || type == typeof(NoResult)
        || type == typeof(ReadOnlyMemory<byte>)
        || typeof(Exception).IsAssignableFrom(type)
        || type.IsDefined(typeof(ImmutableAttribute), inherit: false);

    public static object? CreateCodec(Type type)
    {
        if (s_codecs.TryGetValue(type, out object? codec))
        {
            return codec;
        }

        if (type.IsEnum)
        {
            return Construct(typeof(EnumCodec<>), type);
        }

        if (type.IsSZArray)
        {
            return Construct(typeof(ArrayCodec<>), type.GetElementType()!);
        }

        if (typeof(Exception).IsAssignableFrom(type))
        {
            return Construct(typeof(DerivedExceptionCodec<>), type);
        }

        if (!type.IsGenericType)
        {
            return null;
        }

        Type definition = type.GetGenericTypeDefinition();
        Type[] arguments = type.GetGenericArguments();
        if (definition == typeof(Nullable<>))
        {
            return Construct(typeof(NullableCodec<>), arguments);
        }

        if (definition == typeof(List<>))
        {
            return Construct(typeof(ListCodec<>), arguments);
        }

        if (definition == typeof(HashSet<>))
        {
            return Construct(typeof(HashSetCodec<>), arguments);
        }

        if (definition == typeof(Dictionary<,>))
        {
            return Construct(typeof(DictionaryCodec<,>), arguments);
        }

        if (IsListInterface(definition))
        {
            return Construct(typeof(ListInterfaceCodec<,>), type, arguments[0]);
        }

        if (IsSetInterface(definition))
        {
            return Construct(typeof(SetInterfaceCodec<,>), type, arguments[0]);
        }

        if (IsDictionaryInterface(definition))
        {
            return Construct(typeof(DictionaryInterfaceCodec<,,>), type, arguments[0], arguments[1]);
        }

        if (definition == typeof(ImmutableArray<>))
        {
            return Construct(typeof(ImmutableArrayCodec<>), arguments);
        }

        if (definition == typeof(KeyValuePair<,>))
        {
            return Construct(typeof(KeyValuePairCodec<,>), arguments);
        }

        if (definition == typeof(ValueTuple<,>))
        {
            return Construct(typeof(ValueTupleCodec<,>), arguments);
        }

        if (definition == typeof(ValueTuple<,,>))
        {
            return Construct(typeof(ValueTupleCodec<,,>), arguments);
        }

        return null;
    }

    /// <summary>The copier of a mutable built-in type; null when there is none.</summary>
    public static object? CreateCopier(Type type)
    {
        if (type == typeof(byte[]))
        {
            return ByteArrayCopier.Instance;
        }

        if (type.IsSZArray)
        {
            return Construct(typeof(ArrayCopier<>), type.GetElementType()!);
        }

        if (!type.IsGenericType)
        {
            return null;
        }

        Type definition = type.GetGenericTypeDefinition();
        Type[] arguments = type.GetGenericArguments();
        if (definition == typeof(Nullable<>))
        {
            return Construct(typeof(NullableCopier<>), arguments);
        }

        if (definition == typeof(List<>))
        {
            return Construct(typeof(ListCopier<>), arguments);
        }

        if (definition == typeof(HashSet<>))
        {
            return Construct(typeof(HashSetCopier<>), arguments);
        }

        if (definition == typeof(Dictionary<,>))
        {
            return Construct(typeof(DictionaryCopier<,>), arguments);
        }

        if (IsListInterface(definition))
        {
            return Construct(typeof(ListInterfaceCopier<,>), type, arguments[0]);
        }

        if (IsSetInterface(definition))
        {
            return Construct(typeof(SetInterfaceCopier<,>), type, arguments[0]);
        }

        if (IsDictionaryInterface(definition))
        {
            return Construct(typeof(DictionaryInterfaceCopier<,,>), type, arguments[0], arguments[1]);
        }

        if (definition == typeof(ImmutableArray<>))
        {
            return Construct(typeof(ImmutableArrayCopier<>), arguments);
        }

        if (definition == typeof(KeyValuePair<,>))
        {
            return Construct(typeof(KeyValuePairCopier<,>), arguments);
        }

        if (definition == typeof(ValueTuple<,>))
        {
            return Construct(typeof(ValueTupleCopier<,>), arguments);
        }

        if (definition == typeof(ValueTuple<,,>))
        {
            return Construct(typeof(ValueTupleCopier<,,>), arguments);
        }

        return null;
    }

    private static bool IsListInterface(Type definition) =>
        definition == typeof(IEnumerable<>)
        || definition == typeof(IReadOnlyCollection<>)
        || definition == typeof(IReadOnlyList<>)
        || definition == typeof(ICollection<>)
        || definition == typeof(IList<>);

    private static bool IsSetInterface(Type definition) =>
        definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>);

    private static bool IsDictionaryInterface(Type definition) =>
        definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>);

    /// <summary>
    /// Closes a generic codec or copier over the value's type arguments and creates it. The codec
    /// types are referenced statically here, so trimming keeps their constructors; constraint
    /// violations (which the checks above rule out) would surface as a serialization error.
    /// </summary>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Startup-only construction of closed codec types; Pulse does not run under Native AOT.")]
    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The open generic types are referenced statically above.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "See above.")]
    private static object Construct(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type openGeneric,
        params Type[] arguments)
    {
        try
        {
            return Activator.CreateInstance(openGeneric.MakeGenericType(arguments))!;
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is PulseSerializationException inner)
        {
            // An element type without a codec or copier: report that type, not the reflection wrapper.
            throw new PulseSerializationException(inner.Message, inner);
        }
    }
}
