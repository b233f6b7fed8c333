using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;
using Pulse.Runtime.Serialization;
using Pulse.Runtime.Serialization.Codecs;

namespace Pulse.Runtime.Messaging;

/// <summary>
/// Writes and reads messages as length-prefixed frames.
/// </summary>
/// <remarks>
/// <para>Frame layout (all varints are unsigned LEB128):</para>
/// <code>
/// uint32 LE   frame length: the number of bytes after these four (at most the reader's maximum)
/// byte        protocol version (<see cref="ProtocolVersion"/>)
/// varint      header length: the number of header bytes that follow, before the body
/// header:
///   byte      kind (<see cref="MessageKind"/>)
///   byte      status (<see cref="ResponseStatus"/>)
///   byte      forward count
///   varint    flags (<see cref="MessageFlags"/>, at most 16 bits)
///   varint64  correlation id (two's complement)
///   varint    method id
///   varint    time to live in milliseconds (0 = none)
///   string    interface type alias (empty = none)
///   grain id  target: string type alias (empty = none, then no key follows), string key
///   grain id  sending grain: as target
///   ...       fields added by later versions of this protocol version; older readers skip them
/// body        the rest of the frame
/// </code>
/// <para>A string is a varint byte length and that many bytes of UTF-8, validated on read.</para>
/// <para>
/// Any corrupt input (unknown version or kind, out-of-range fields, truncated or malformed varints,
/// invalid UTF-8, lengths running past the frame, frames over the maximum) throws
/// <see cref="MessageFormatException"/>. The connection that delivered it should be closed: after a
/// corrupt frame the position of the next one cannot be trusted.
/// </para>
/// </remarks>
public static class MessageSerializer
{
    /// <summary>The protocol version written in every frame; frames of any other version are rejected.</summary>
    public const byte ProtocolVersion = 1;

    /// <summary>Default largest frame (bytes after the length prefix) accepted or written: 4 MiB.</summary>
    public const int DefaultMaxFrameBytes = 4 * 1024 * 1024;

    /// <summary>Size of the frame length prefix.</summary>
    public const int LengthPrefixBytes = 4;

    /// <summary>Longest grain type alias accepted in a header, in UTF-8 bytes.</summary>
    public const int MaxGrainTypeBytes = 1024;

    /// <summary>Longest grain key accepted in a header, in UTF-8 bytes (<see cref="GrainId.MaxKeyLength"/> characters of up to three bytes).</summary>
    public const int MaxGrainKeyBytes = GrainId.MaxKeyLength * 3;

    private const MessageKind MaxKind = MessageKind.BundleRequest;
    private const ResponseStatus MaxStatus = ResponseStatus.Cancelled;

    [ThreadStatic]
    private static PulseWriter? t_headerWriter;

    /// <summary>Writes <paramref name="message"/> as one frame at the end of <paramref name="writer"/>.</summary>
    /// <exception cref="MessageFormatException">The frame would be larger than <paramref name="maxFrameBytes"/>; nothing was written.</exception>
    /// <exception cref="ArgumentException">The message lacks a field its kind requires.</exception>
    public static void Write(PulseWriter writer, Message message, int maxFrameBytes = DefaultMaxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ReadOnlySpan<byte> header = WriteHeader(message, maxFrameBytes, out int frameLength);
        Span<byte> prefix = writer.GetSpan(LengthPrefixBytes + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)frameLength);
        prefix[LengthPrefixBytes] = ProtocolVersion;
        writer.Advance(LengthPrefixBytes + 1);
        writer.WriteVarUInt32((uint)header.Length);
        writer.WriteBytes(header);
        writer.WriteBytes(message.Body.Span);
    }

    /// <summary>Writes <paramref name="message"/> as one frame into <paramref name="output"/> (for example a pipe writer).</summary>
    /// <exception cref="MessageFormatException">The frame would be larger than <paramref name="maxFrameBytes"/>; nothing was written.</exception>
    /// <exception cref="ArgumentException">The message lacks a field its kind requires.</exception>
    public static void Write(IBufferWriter<byte> output, Message message, int maxFrameBytes = DefaultMaxFrameBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ReadOnlySpan<byte> header = WriteHeader(message, maxFrameBytes, out int frameLength);
        int preambleLength = LengthPrefixBytes + 1 + PulseWriter.VarIntSize((uint)header.Length);
        Span<byte> span = output.GetSpan(preambleLength + header.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)frameLength);
        span[LengthPrefixBytes] = ProtocolVersion;
        int position = LengthPrefixBytes + 1;
        uint value = (uint)header.Length;
        while (value >= 0x80)
        {
            span[position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[position++] = (byte)value;
        header.CopyTo(span.Slice(position));
        output.Advance(position + header.Length);
        CopyInChunks(output, message.Body.Span);
    }

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/> (as delivered by a pipe reader) and
    /// slices it off. Returns false, consuming nothing, when the frame is not complete yet; the
    /// declared length is checked against <paramref name="maxFrameBytes"/> before waiting for the rest.
    /// A frame spanning several segments is copied to a pooled buffer to be parsed.
    /// </summary>
    /// <exception cref="MessageFormatException">The frame is oversized or corrupt.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, [NotNullWhen(true)] out Message? message)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameBytes);
        message = null;
        if (buffer.Length < LengthPrefixBytes)
        {
            return false;
        }

        uint length;
        if (buffer.FirstSpan.Length >= LengthPrefixBytes)
        {
            length = BinaryPrimitives.ReadUInt32LittleEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
            buffer.Slice(0, LengthPrefixBytes).CopyTo(prefix);
            length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        }

        CheckFrameLength(length, maxFrameBytes);
        if (buffer.Length - LengthPrefixBytes < length)
        {
            return false;
        }

        ReadOnlySequence<byte> frame = buffer.Slice(LengthPrefixBytes, length);
        if (frame.IsSingleSegment)
        {
            message = ReadFrameContent(frame.FirstSpan);
        }
        else
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                frame.CopyTo(rented);
                message = ReadFrameContent(rented.AsSpan(0, (int)length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/>. Returns false when the frame is not
    /// complete yet; otherwise <paramref name="bytesConsumed"/> is its size including the length prefix.
    /// </summary>
    /// <exception cref="MessageFormatException">The frame is oversized or corrupt.</exception>
    public static bool TryReadFrame(ReadOnlySpan<byte> buffer, int maxFrameBytes, [NotNullWhen(true)] out Message? message, out int bytesConsumed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameBytes);
        message = null;
        bytesConsumed = 0;
        if (buffer.Length < LengthPrefixBytes)
        {
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
        CheckFrameLength(length, maxFrameBytes);
        if ((uint)(buffer.Length - LengthPrefixBytes) < length)
        {
            return false;
        }

        message = ReadFrameContent(buffer.Slice(LengthPrefixBytes, (int)length));
        bytesConsumed = LengthPrefixBytes + (int)length;
        return true;
    }

    /// <summary>Reads the content of one frame: everything after its length prefix. The body is copied.</summary>
    /// <exception cref="MessageFormatException">The content is corrupt.</exception>
    public static Message ReadFrameContent(ReadOnlySpan<byte> frame)
    {
        FrameReader reader = new(frame);
        byte version = reader.ReadByte();
        if (version != ProtocolVersion)
        {
            ThrowFormat($"Unsupported protocol version {version}; this process speaks version {ProtocolVersion}.");
        }

        uint headerLength = reader.ReadVarUInt32();
        if (headerLength > (uint)reader.Remaining)
        {
            ThrowFormat($"The header length {headerLength} runs past the end of the frame ({reader.Remaining} bytes left).");
        }

        // The header is read through its own slice, so a corrupt field cannot run into the body.
        ReadOnlySpan<byte> headerBytes = reader.ReadBytes((int)headerLength);
        Message message = ReadHeader(headerBytes);
        ReadOnlySpan<byte> body = frame.Slice(reader.Position);
        message.Body = body.IsEmpty ? ReadOnlyMemory<byte>.Empty : body.ToArray();
        return message;
    }

    private static Message ReadHeader(ReadOnlySpan<byte> headerBytes)
    {
        FrameReader header = new(headerBytes);
        byte kind = header.ReadByte();
        if (kind > (byte)MaxKind)
        {
            ThrowFormat($"Unknown message kind {kind}.");
        }

        byte status = header.ReadByte();
        if (status > (byte)MaxStatus)
        {
            ThrowFormat($"Unknown response status {status}.");
        }

        byte forwardCount = header.ReadByte();
        uint flags = header.ReadVarUInt32();
        if (flags > ushort.MaxValue)
        {
            ThrowFormat($"Message flags 0x{flags:X} do not fit 16 bits.");
        }

        Message message = new()
        {
            Kind = (MessageKind)kind,
            Status = (ResponseStatus)status,
            ForwardCount = forwardCount,
            Flags = (MessageFlags)flags,
            CorrelationId = (long)header.ReadVarUInt64(),
            MethodId = header.ReadVarUInt32(),
            TimeToLiveMilliseconds = header.ReadVarUInt32(),
            InterfaceType = ReadGrainType(ref header),
            Target = ReadGrainId(ref header),
            SendingGrain = ReadGrainId(ref header),
        };

        // Remaining header bytes belong to fields a later revision added; skipping them is what
        // lets such a revision keep the protocol version.
        if (message.Kind is MessageKind.Request or MessageKind.OneWay && (message.Target.IsDefault || message.InterfaceType.IsDefault))
        {
            ThrowFormat($"A {message.Kind} message lacks its target grain or interface type.");
        }

        if (message.Kind == MessageKind.Cancel && message.Target.IsDefault)
        {
            ThrowFormat("A cancel message lacks its target grain.");
        }

        if (message.Kind == MessageKind.BundleRequest && message.InterfaceType.IsDefault)
        {
            ThrowFormat("A bundle request lacks its interface type.");
        }

        return message;
    }

    private static GrainType ReadGrainType(ref FrameReader reader)
    {
        ReadOnlySpan<byte> alias = reader.ReadLengthPrefixed(MaxGrainTypeBytes, "grain type alias");
        if (alias.IsEmpty)
        {
            return default;
        }

        try
        {
            return GrainTypeCache.FromUtf8(alias);
        }
        catch (PulseSerializationException ex)
        {
            throw new MessageFormatException(ex.Message, ex);
        }
    }

    private static GrainId ReadGrainId(ref FrameReader reader)
    {
        GrainType type = ReadGrainType(ref reader);
        if (type.IsDefault)
        {
            return default;
        }

        ReadOnlySpan<byte> keyBytes = reader.ReadLengthPrefixed(MaxGrainKeyBytes, "grain key");
        if (keyBytes.IsEmpty || !Utf8.IsValid(keyBytes))
        {
            ThrowFormat("A grain key in the message header is empty or not valid UTF-8.");
        }

        string key = Encoding.UTF8.GetString(keyBytes);
        if (key.Length > GrainId.MaxKeyLength)
        {
            ThrowFormat($"A grain key in the message header has {key.Length} characters; the limit is {GrainId.MaxKeyLength}.");
        }

        return new GrainId(type, key);
    }

    /// <summary>Writes the header into the per-thread scratch writer and computes the frame length.</summary>
    private static ReadOnlySpan<byte> WriteHeader(Message message, int maxFrameBytes, out int frameLength)
    {
        ArgumentNullException.ThrowIfNull(message);
        Validate(message);
        PulseWriter header = t_headerWriter ??= new PulseWriter(256);
        header.Reset();
        header.WriteByte((byte)message.Kind);
        header.WriteByte((byte)message.Status);
        header.WriteByte(message.ForwardCount);
        header.WriteVarUInt32((ushort)message.Flags);
        header.WriteVarUInt64((ulong)message.CorrelationId);
        header.WriteVarUInt32(message.MethodId);
        header.WriteVarUInt32(message.TimeToLiveMilliseconds);
        WriteGrainType(header, message.InterfaceType);
        WriteGrainId(header, message.Target);
        WriteGrainId(header, message.SendingGrain);

        long length = 1L + PulseWriter.VarIntSize((uint)header.Position) + header.Position + message.Body.Length;
        if (length > maxFrameBytes)
        {
            ThrowFormat($"The message {message} needs a frame of {length} bytes; the limit is {maxFrameBytes}.");
        }

        frameLength = (int)length;
        return header.WrittenSpan;
    }

    private static void WriteGrainType(PulseWriter writer, GrainType type)
    {
        if (type.IsDefault)
        {
            writer.WriteByte(0);
            return;
        }

        writer.WriteStringPayload(type.Value);
    }

    private static void WriteGrainId(PulseWriter writer, GrainId id)
    {
        if (id.IsDefault)
        {
            writer.WriteByte(0);
            return;
        }

        writer.WriteStringPayload(id.Type.Value);
        writer.WriteStringPayload(id.Key);
    }

    private static void Validate(Message message)
    {
        if (message.Kind > MaxKind || message.Status > MaxStatus)
        {
            throw new ArgumentException($"The message has an undefined kind {message.Kind} or status {message.Status}.", nameof(message));
        }

        if (message.Kind is MessageKind.Request or MessageKind.OneWay && (message.Target.IsDefault || message.InterfaceType.IsDefault))
        {
            throw new ArgumentException($"A {message.Kind} message needs a target grain and an interface type.", nameof(message));
        }

        if (message.Kind == MessageKind.Cancel && message.Target.IsDefault)
        {
            throw new ArgumentException("A cancel message needs a target grain.", nameof(message));
        }

        if (message.Kind == MessageKind.BundleRequest && message.InterfaceType.IsDefault)
        {
            throw new ArgumentException("A bundle request needs an interface type.", nameof(message));
        }

        // Aliases and keys longer than the reader accepts would make the receiver drop the connection.
        if (IsAliasTooLong(message.InterfaceType) || IsAliasTooLong(message.Target.Type) || IsAliasTooLong(message.SendingGrain.Type))
        {
            throw new ArgumentException($"A grain type alias in the message is longer than {MaxGrainTypeBytes} UTF-8 bytes.", nameof(message));
        }
    }

    // Counting UTF-8 bytes only for aliases that could exceed the limit keeps the common case free.
    private static bool IsAliasTooLong(GrainType type) =>
        type.Value.Length > MaxGrainTypeBytes / 3 && Encoding.UTF8.GetByteCount(type.Value) > MaxGrainTypeBytes;

    private static void CopyInChunks(IBufferWriter<byte> output, ReadOnlySpan<byte> body)
    {
        // Asking for the whole body at once would make a pipe allocate one segment of that size.
        while (!body.IsEmpty)
        {
            Span<byte> span = output.GetSpan(Math.Min(body.Length, 4096));
            int count = Math.Min(span.Length, body.Length);
            body.Slice(0, count).CopyTo(span);
            output.Advance(count);
            body = body.Slice(count);
        }
    }

    private static void CheckFrameLength(uint length, int maxFrameBytes)
    {
        if (length > (uint)maxFrameBytes)
        {
            ThrowFormat($"A frame declares {length} bytes; the limit is {maxFrameBytes}.");
        }
    }

    [DoesNotReturn]
    private static void ThrowFormat(string message) => throw new MessageFormatException(message);
}
