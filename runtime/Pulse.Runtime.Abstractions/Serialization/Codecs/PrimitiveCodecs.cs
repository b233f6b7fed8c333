namespace Pulse.Runtime.Serialization.Codecs;

// Integers are VarInt (zig-zag for signed) so small values take one byte whatever their declared
// width. Readers check the decoded value fits the declared type: a value that does not fit is
// corrupt input, never silently truncated.

/// <summary><see cref="bool"/> as a VarInt 0 or 1.</summary>
internal sealed class BoolCodec : IFieldCodec<bool>
{
    public static readonly BoolCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, bool value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteByte(value ? (byte)1 : (byte)0);
    }

    public bool ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<bool>(wireType, WireType.VarInt);
        ulong value = reader.ReadVarUInt64();
        if (value > 1)
        {
            CodecHelpers.ThrowOutOfRange<bool>(value);
        }

        return value != 0;
    }
}

/// <summary><see cref="byte"/> as an unsigned VarInt.</summary>
internal sealed class ByteCodec : IFieldCodec<byte>
{
    public static readonly ByteCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, byte value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt32(value);
    }

    public byte ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<byte>(wireType, WireType.VarInt);
        uint value = reader.ReadVarUInt32();
        if (value > byte.MaxValue)
        {
            CodecHelpers.ThrowOutOfRange<byte>(value);
        }

        return (byte)value;
    }
}

/// <summary><see cref="sbyte"/> as a zig-zag VarInt.</summary>
internal sealed class SByteCodec : IFieldCodec<sbyte>
{
    public static readonly SByteCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, sbyte value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt32(value);
    }

    public sbyte ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<sbyte>(wireType, WireType.VarInt);
        int value = reader.ReadVarInt32();
        if (value is < sbyte.MinValue or > sbyte.MaxValue)
        {
            CodecHelpers.ThrowOutOfRange<sbyte>(value);
        }

        return (sbyte)value;
    }
}

/// <summary><see cref="short"/> as a zig-zag VarInt.</summary>
internal sealed class Int16Codec : IFieldCodec<short>
{
    public static readonly Int16Codec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, short value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt32(value);
    }

    public short ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<short>(wireType, WireType.VarInt);
        int value = reader.ReadVarInt32();
        if (value is < short.MinValue or > short.MaxValue)
        {
            CodecHelpers.ThrowOutOfRange<short>(value);
        }

        return (short)value;
    }
}

/// <summary><see cref="ushort"/> as an unsigned VarInt.</summary>
internal sealed class UInt16Codec : IFieldCodec<ushort>
{
    public static readonly UInt16Codec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, ushort value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt32(value);
    }

    public ushort ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<ushort>(wireType, WireType.VarInt);
        uint value = reader.ReadVarUInt32();
        if (value > ushort.MaxValue)
        {
            CodecHelpers.ThrowOutOfRange<ushort>(value);
        }

        return (ushort)value;
    }
}

/// <summary><see cref="int"/> as a zig-zag VarInt.</summary>
internal sealed class Int32Codec : IFieldCodec<int>
{
    public static readonly Int32Codec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, int value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt32(value);
    }

    public int ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<int>(wireType, WireType.VarInt);
        return reader.ReadVarInt32();
    }
}

/// <summary><see cref="uint"/> as an unsigned VarInt.</summary>
internal sealed class UInt32Codec : IFieldCodec<uint>
{
    public static readonly UInt32Codec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, uint value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt32(value);
    }

    public uint ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<uint>(wireType, WireType.VarInt);
        return reader.ReadVarUInt32();
    }
}

/// <summary><see cref="long"/> as a zig-zag VarInt.</summary>
internal sealed class Int64Codec : IFieldCodec<long>
{
    public static readonly Int64Codec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, long value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value);
    }

    public long ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<long>(wireType, WireType.VarInt);
        return reader.ReadVarInt64();
    }
}

/// <summary><see cref="ulong"/> as an unsigned VarInt.</summary>
internal sealed class UInt64Codec : IFieldCodec<ulong>
{
    public static readonly UInt64Codec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, ulong value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value);
    }

    public ulong ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<ulong>(wireType, WireType.VarInt);
        return reader.ReadVarUInt64();
    }
}

/// <summary><see cref="char"/> as an unsigned VarInt of its UTF-16 code unit (lone surrogates survive).</summary>
internal sealed class CharCodec : IFieldCodec<char>
{
    public static readonly CharCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, char value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt32(value);
    }

    public char ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<char>(wireType, WireType.VarInt);
        uint value = reader.ReadVarUInt32();
        if (value > char.MaxValue)
        {
            CodecHelpers.ThrowOutOfRange<char>(value);
        }

        return (char)value;
    }
}

/// <summary><see cref="float"/> as Fixed32 of its IEEE bits, so NaN payloads and -0 survive.</summary>
internal sealed class SingleCodec : IFieldCodec<float>
{
    public static readonly SingleCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, float value)
    {
        writer.WriteTag(fieldId, WireType.Fixed32);
        writer.WriteFixed32(BitConverter.SingleToUInt32Bits(value));
    }

    public float ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<float>(wireType, WireType.Fixed32);
        return BitConverter.UInt32BitsToSingle(reader.ReadFixed32());
    }
}

/// <summary><see cref="double"/> as Fixed64 of its IEEE bits, so NaN payloads and -0 survive.</summary>
internal sealed class DoubleCodec : IFieldCodec<double>
{
    public static readonly DoubleCodec Instance = new();

    public void WriteField(PulseWriter writer, uint fieldId, double value)
    {
        writer.WriteTag(fieldId, WireType.Fixed64);
        writer.WriteFixed64(BitConverter.DoubleToUInt64Bits(value));
    }

    public double ReadValue(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<double>(wireType, WireType.Fixed64);
        return BitConverter.UInt64BitsToDouble(reader.ReadFixed64());
    }
}
