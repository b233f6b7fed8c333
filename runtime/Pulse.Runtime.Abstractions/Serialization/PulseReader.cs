using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Pulse.Runtime.Serialization;

/// <summary>
/// Reads Pulse's tagged binary format from contiguous memory. Every read is bounds-checked: corrupt
/// or truncated input throws <see cref="PulseSerializationException"/>, never an index exception
/// or an allocation sized by untrusted data beyond what the input holds.
/// </summary>
public sealed class PulseReader
{
    /// <summary>How deep objects and collections may nest before input is rejected.</summary>
    public const int DefaultMaxDepth = 64;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private ReadOnlyMemory<byte> _memory;
    private int _position;
    private int _depth;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public PulseReader(ReadOnlyMemory<byte> data) => _memory = data;

    /// <summary>Creates an empty reader; call <see cref="Reset"/> before use.</summary>
    public PulseReader()
    {
    }

    /// <summary>Creates grain references for grain-typed fields; null where none can be made.</summary>
    public IGrainFactory? GrainFactory { get; set; }

    /// <summary>Current position.</summary>
    public int Position => _position;

    /// <summary>Total length of the input.</summary>
    public int Length => _memory.Length;

    /// <summary>Whether all input was consumed.</summary>
    public bool IsAtEnd => _position >= _memory.Length;

    /// <summary>Points the reader at new input.</summary>
    public void Reset(ReadOnlyMemory<byte> data)
    {
        _memory = data;
        _position = 0;
        _depth = 0;
    }

    /// <summary>Reads one byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        ReadOnlySpan<byte> span = _memory.Span;
        if ((uint)_position >= (uint)span.Length)
        {
            ThrowTruncated();
        }

        return span[_position++];
    }

    /// <summary>Reads <paramref name="count"/> raw bytes.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _memory.Length - _position)
        {
            ThrowTruncated();
        }

        ReadOnlySpan<byte> result = _memory.Span.Slice(_position, count);
        _position += count;
        return result;
    }

    /// <summary>Reads <paramref name="count"/> raw bytes as memory over the input (no copy).</summary>
    public ReadOnlyMemory<byte> ReadMemory(int count)
    {
        if (count < 0 || count > _memory.Length - _position)
        {
            ThrowTruncated();
        }

        ReadOnlyMemory<byte> result = _memory.Slice(_position, count);
        _position += count;
        return result;
    }

    /// <summary>Reads a field tag.</summary>
    public void ReadTag(out uint fieldId, out WireType wireType)
    {
        uint tag = ReadVarUInt32();
        fieldId = tag >> 3;
        wireType = (WireType)(tag & 7);
        if (wireType is not (WireType.VarInt or WireType.Fixed64 or WireType.LengthPrefixed or WireType.Null or WireType.Fixed32))
        {
            throw new PulseSerializationException($"Unknown wire type {(int)wireType} at position {_position}.");
        }
    }

    /// <summary>Reads an unsigned varint.</summary>
    public uint ReadVarUInt32()
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 28 && b > 0x0F)
            {
                ThrowMalformedVarInt();
            }

            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        ThrowMalformedVarInt();
        return 0;
    }

    /// <summary>Reads an unsigned 64-bit varint.</summary>
    public ulong ReadVarUInt64()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 63 && b > 1)
            {
                ThrowMalformedVarInt();
            }

            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        ThrowMalformedVarInt();
        return 0;
    }

    /// <summary>Reads a zig-zag signed varint.</summary>
    public int ReadVarInt32()
    {
        uint value = ReadVarUInt32();
        return (int)(value >> 1) ^ -(int)(value & 1);
    }

    /// <summary>Reads a zig-zag signed 64-bit varint.</summary>
    public long ReadVarInt64()
    {
        ulong value = ReadVarUInt64();
        return (long)(value >> 1) ^ -(long)(value & 1);
    }

    /// <summary>Reads four little-endian bytes.</summary>
    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    /// <summary>Reads eight little-endian bytes.</summary>
    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    /// <summary>Reads a varint byte length and checks that many bytes remain.</summary>
    public int ReadLength()
    {
        uint length = ReadVarUInt32();
        if (length > (uint)(_memory.Length - _position))
        {
            throw new PulseSerializationException(
                $"A length prefix of {length} bytes at position {_position} runs past the end of the input ({_memory.Length - _position} bytes left).");
        }

        return (int)length;
    }

    /// <summary>Reads a length-prefixed UTF-8 string; invalid UTF-8 is rejected.</summary>
    public string ReadStringPayload()
    {
        int length = ReadLength();
        ReadOnlySpan<byte> bytes = _memory.Span.Slice(_position, length);
        _position += length;
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new PulseSerializationException("A string field is not valid UTF-8.", ex);
        }
    }

    /// <summary>Reads a length-prefixed byte payload (copied).</summary>
    public byte[] ReadBytesPayload() => ReadBytes(ReadLength()).ToArray();

    /// <summary>
    /// Enters a length-prefixed payload (object or collection): reads its length, checks nesting depth,
    /// and returns the position where it ends. Pair with <see cref="ExitNested"/>.
    /// </summary>
    public int EnterNested()
    {
        int length = ReadLength();
        if (++_depth > DefaultMaxDepth)
        {
            throw new PulseSerializationException($"Input nests deeper than {DefaultMaxDepth} levels.");
        }

        return _position + length;
    }

    /// <summary>Leaves a nested payload, checking that it was consumed exactly.</summary>
    public void ExitNested(int end)
    {
        if (_position != end)
        {
            throw new PulseSerializationException($"A nested payload ended at {_position}, expected {end}.");
        }

        _depth--;
    }

    /// <summary>Skips the payload of a field whose tag was read (unknown fields of newer versions).</summary>
    public void SkipField(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.VarInt:
                ReadVarUInt64();
                break;
            case WireType.Fixed64:
                ReadBytes(8);
                break;
            case WireType.Fixed32:
                ReadBytes(4);
                break;
            case WireType.LengthPrefixed:
                ReadBytes(ReadLength());
                break;
            case WireType.Null:
                break;
            default:
                throw new PulseSerializationException($"Cannot skip unknown wire type {(int)wireType}.");
        }
    }

    /// <summary>Throws because a field has a wire type its codec cannot read.</summary>
    [DoesNotReturn]
    public static void ThrowUnexpectedWireType(string typeName, WireType wireType) =>
        throw new PulseSerializationException($"A field of type {typeName} cannot be read from wire type {wireType}.");

    [DoesNotReturn]
    private void ThrowTruncated() =>
        throw new PulseSerializationException($"The input ended unexpectedly at position {_position} of {_memory.Length}.");

    [DoesNotReturn]
    private void ThrowMalformedVarInt() =>
        throw new PulseSerializationException($"Malformed varint at position {_position}.");
}
