using System.Runtime.CompilerServices;

namespace Pulse.Runtime.Serialization.Codecs;

/// <summary>
/// An enum as its underlying integer: zig-zag VarInt for signed underlying types, plain VarInt for
/// unsigned ones. Values are reinterpreted with <see cref="Unsafe"/> instead of converted through
/// <see cref="Enum"/>, so nothing is boxed. Undefined values round-trip (flags, newer versions).
/// </summary>
internal sealed class EnumCodec<T> : IFieldCodec<T>
    where T : struct, Enum
{
    // Static readonly values are constants to the tiered JIT, so the switches below fold away.
    private static readonly int s_size = Unsafe.SizeOf<T>();
    private static readonly bool s_signed = Type.GetTypeCode(Enum.GetUnderlyingType(typeof(T))) is
        TypeCode.SByte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64;

    public void WriteField(PulseWriter writer, uint fieldId, T value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        if (s_signed)
        {
            long number = s_size switch
            {
                1 => Unsafe.As<T, sbyte>(ref value),
                2 => Unsafe.As<T, short>(ref value),
                4 => Unsafe.As<T, int>(ref value),
                _ => Unsafe.As<T, long>(ref value),
            };
            writer.WriteVarInt64(number);
        }
        else
        {
            ulong number = s_size switch
            {
                1 => Unsafe.As<T, byte>(ref value),
                2 => Unsafe.As<T, ushort>(ref value),
                4 => Unsafe.As<T, uint>(ref value),
                _ => Unsafe.As<T, ulong>(ref value),
            };
            writer.WriteVarUInt64(number);
        }
    }

    public T ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<T>(wireType, WireType.VarInt);
        if (s_signed)
        {
            long number = reader.ReadVarInt64();
            switch (s_size)
            {
                case 1:
                    if (number is < sbyte.MinValue or > sbyte.MaxValue)
                    {
                        CodecHelpers.ThrowOutOfRange<T>(number);
                    }

                    sbyte s8 = (sbyte)number;
                    return Unsafe.As<sbyte, T>(ref s8);
                case 2:
                    if (number is < short.MinValue or > short.MaxValue)
                    {
                        CodecHelpers.ThrowOutOfRange<T>(number);
                    }

                    short s16 = (short)number;
                    return Unsafe.As<short, T>(ref s16);
                case 4:
                    if (number is < int.MinValue or > int.MaxValue)
                    {
                        CodecHelpers.ThrowOutOfRange<T>(number);
                    }

                    int s32 = (int)number;
                    return Unsafe.As<int, T>(ref s32);
                default:
                    return Unsafe.As<long, T>(ref number);
            }
        }

        ulong unsigned = reader.ReadVarUInt64();
        switch (s_size)
        {
            case 1:
                if (unsigned > byte.MaxValue)
                {
                    CodecHelpers.ThrowOutOfRange<T>(unsigned);
                }

                byte u8 = (byte)unsigned;
                return Unsafe.As<byte, T>(ref u8);
            case 2:
                if (unsigned > ushort.MaxValue)
                {
                    CodecHelpers.ThrowOutOfRange<T>(unsigned);
                }

                ushort u16 = (ushort)unsigned;
                return Unsafe.As<ushort, T>(ref u16);
            case 4:
                if (unsigned > uint.MaxValue)
                {
                    CodecHelpers.ThrowOutOfRange<T>(unsigned);
                }

                uint u32 = (uint)unsigned;
                return Unsafe.As<uint, T>(ref u32);
            default:
                return Unsafe.As<ulong, T>(ref unsigned);
        }
    }
}

/// <summary>
/// <see cref="Nullable{T}"/>: null as a <see cref="WireType.Null"/> tag, otherwise exactly what
/// <typeparamref name="T"/>'s codec writes, so a field can change between T and T? compatibly.
/// </summary>
internal sealed class NullableCodec<T> : IFieldCodec<T?>
    where T : struct
{
    public void WriteField(PulseWriter writer, uint fieldId, T? value)
    {
        if (value is { } present)
        {
            Codec<T>.Instance.WriteField(writer, fieldId, present);
        }
        else
        {
            writer.WriteTag(fieldId, WireType.Null);
        }
    }

    public T? ReadValue(PulseReader reader, WireType wireType) =>
        wireType == WireType.Null ? null : Codec<T>.Instance.ReadValue(reader, wireType);
}
