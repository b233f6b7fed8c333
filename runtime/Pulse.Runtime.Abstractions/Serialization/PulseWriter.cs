using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Pulse.Runtime.Serialization;

/// <summary>
/// Writes Pulse's tagged binary format into a pooled, growable buffer. Positions are absolute, so
/// length prefixes of nested objects are patched after the object is written. Not thread-safe;
/// reuse an instance with <see cref="Reset"/> and return its buffer with <see cref="Dispose"/>.
/// </summary>
public sealed class PulseWriter : IDisposable
{
    private byte[] _buffer;
    private int _position;

    /// <summary>Creates a writer with a pooled buffer of at least <paramref name="initialCapacity"/> bytes.</summary>
    public PulseWriter(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));
    }

    /// <summary>Bytes written so far.</summary>
    public int Position => _position;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    /// <summary>The size of the buffer written into, which grows to the largest payload written since it was made.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The bytes written so far (valid until the next write or reset).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _position = 0;

    /// <summary>Copies the written bytes into a new array.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Returns a span of at least <paramref name="sizeHint"/> bytes to write into; call <see cref="Advance"/> after.</summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsSpan(_position);
    }

    /// <summary>Marks <paramref name="count"/> bytes of the span from <see cref="GetSpan"/> as written.</summary>
    public void Advance(int count) => _position += count;

    /// <summary>Writes one byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte value)
    {
        if (_position >= _buffer.Length)
        {
            Grow(1);
        }

        _buffer[_position++] = value;
    }

    /// <summary>Writes raw bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        EnsureCapacity(value.Length);
        value.CopyTo(_buffer.AsSpan(_position));
        _position += value.Length;
    }

    /// <summary>Writes a field tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteTag(uint fieldId, WireType wireType)
    {
        if (fieldId > MaxFieldId)
        {
            ThrowFieldIdTooLarge(fieldId);
        }

        WriteVarUInt32((fieldId << 3) | (uint)wireType);
    }

    /// <summary>The largest field id a tag can carry.</summary>
    public const uint MaxFieldId = (1u << 29) - 1;

    /// <summary>Writes an unsigned varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarUInt32(uint value)
    {
        EnsureCapacity(5);
        byte[] buffer = _buffer;
        int position = _position;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[position++] = (byte)value;
        _position = position;
    }

    /// <summary>Writes an unsigned 64-bit varint.</summary>
    public void WriteVarUInt64(ulong value)
    {
        EnsureCapacity(10);
        byte[] buffer = _buffer;
        int position = _position;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        buffer[position++] = (byte)value;
        _position = position;
    }

    /// <summary>Writes a signed varint with zig-zag encoding, so small negative numbers stay small.</summary>
    public void WriteVarInt32(int value) => WriteVarUInt32((uint)((value << 1) ^ (value >> 31)));

    /// <summary>Writes a signed 64-bit varint with zig-zag encoding.</summary>
    public void WriteVarInt64(long value) => WriteVarUInt64((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes four little-endian bytes.</summary>
    public void WriteFixed32(uint value)
    {
        EnsureCapacity(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    /// <summary>Writes eight little-endian bytes.</summary>
    public void WriteFixed64(ulong value)
    {
        EnsureCapacity(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    /// <summary>Writes a varint byte length and the UTF-8 bytes of <paramref name="value"/>.</summary>
    public void WriteStringPayload(string value)
    {
        int byteCount = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt32((uint)byteCount);
        EnsureCapacity(byteCount);
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    /// <summary>Writes a varint byte length and the bytes.</summary>
    public void WriteBytesPayload(ReadOnlySpan<byte> value)
    {
        WriteVarUInt32((uint)value.Length);
        WriteBytes(value);
    }

    /// <summary>
    /// Starts a length-prefixed payload whose length is not known yet (objects, collections).
    /// Pass the returned token to <see cref="EndLengthPrefixed"/> when the payload is written.
    /// </summary>
    public int BeginLengthPrefixed()
    {
        WriteByte(0);
        return _position;
    }

    /// <summary>Patches the length of a payload started with <see cref="BeginLengthPrefixed"/>.</summary>
    public void EndLengthPrefixed(int token)
    {
        int length = _position - token;
        if (length < 0x80)
        {
            _buffer[token - 1] = (byte)length;
            return;
        }

        // One byte was reserved; a longer length needs more, so move the payload forward.
        int prefixSize = VarIntSize((uint)length);
        EnsureCapacity(prefixSize - 1);
        Buffer.BlockCopy(_buffer, token, _buffer, token + prefixSize - 1, length);
        int position = token - 1;
        uint value = (uint)length;
        while (value >= 0x80)
        {
            _buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[position] = (byte)value;
        _position += prefixSize - 1;
    }

    /// <summary>Overwrites four little-endian bytes at an absolute position already written (frame lengths).</summary>
    public void PatchFixed32(int position, uint value)
    {
        if ((uint)position > (uint)(_position - 4))
        {
            throw new ArgumentOutOfRangeException(nameof(position));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(position), value);
    }

    /// <summary>The number of bytes a varint of <paramref name="value"/> takes.</summary>
    public static int VarIntSize(uint value) => value switch
    {
        < 1u << 7 => 1,
        < 1u << 14 => 2,
        < 1u << 21 => 3,
        < 1u << 28 => 4,
        _ => 5,
    };

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _position = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureCapacity(int count)
    {
        if (_buffer.Length - _position < count)
        {
            Grow(count);
        }
    }

    private void Grow(int count)
    {
        int required = checked(_position + count);
        int size = Math.Max(required, Math.Max(256, _buffer.Length * 2));
        byte[] next = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _position).CopyTo(next);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = next;
    }

    private static void ThrowFieldIdTooLarge(uint fieldId) =>
        throw new PulseSerializationException($"Field id {fieldId} is larger than the maximum {MaxFieldId}.");
}
