using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Networking;

/// <summary>
/// Writes and reads the preamble frames exchanged right after a TCP connect, before any message.
/// </summary>
/// <remarks>
/// <para>Layout (varints are unsigned LEB128, strings a varint byte length and UTF-8):</para>
/// <code>
/// uint32 LE   length of what follows (1 .. <see cref="MaxPreambleBytes"/>)
/// 4 bytes     magic "PLSE"
/// byte        preamble layout version (<see cref="LayoutVersion"/>)
/// byte        type: 1 = hello, 2 = rejection
/// hello:
///   byte      message protocol version (<see cref="MessageSerializer.ProtocolVersion"/>)
///   byte      role: 1 = silo, 2 = client
///   string    cluster id (at most <see cref="ConnectionPreamble.MaxClusterIdBytes"/>)
///   silo:     byte address length (4 or 16), address bytes, uint16 LE port (not 0), int64 LE generation
///   client:   string client id (1 .. <see cref="ConnectionPreamble.MaxNameBytes"/>)
///   string    node name (at most <see cref="ConnectionPreamble.MaxNameBytes"/>)
/// rejection:
///   string    reason (at most <see cref="MaxReasonBytes"/>)
/// </code>
/// <para>
/// Parsing is strict: a wrong magic, an unknown layout version, type or role, a field out of range
/// and bytes left after the last field all throw <see cref="MessageFormatException"/>. The magic,
/// layout version and type never move, so a node can always tell a newer layout from garbage.
/// </para>
/// </remarks>
internal static class PreambleCodec
{
    /// <summary>Largest preamble frame (after the length prefix).</summary>
    public const int MaxPreambleBytes = 1024;

    /// <summary>Longest rejection reason, in UTF-8 bytes.</summary>
    public const int MaxReasonBytes = 512;

    /// <summary>The layout written by this process.</summary>
    public const byte LayoutVersion = 1;

    private const byte HelloType = 1;
    private const byte RejectionType = 2;
    private const int LengthPrefixBytes = 4;
    private static ReadOnlySpan<byte> Magic => "PLSE"u8;

    /// <summary>Writes a hello frame carrying <paramref name="preamble"/>.</summary>
    public static void WriteHello(IBufferWriter<byte> output, ConnectionPreamble preamble)
    {
        using PulseWriter writer = new(256);
        WriteStart(writer, HelloType);
        writer.WriteByte(preamble.ProtocolVersion);
        writer.WriteByte((byte)preamble.Role);
        writer.WriteStringPayload(preamble.ClusterId);
        if (preamble.Role == ConnectionRole.Silo)
        {
            IPEndPoint endpoint = preamble.SiloAddress.Endpoint;
            Span<byte> address = stackalloc byte[16];
            endpoint.Address.TryWriteBytes(address, out int addressLength);
            writer.WriteByte((byte)addressLength);
            writer.WriteBytes(address.Slice(0, addressLength));
            Span<byte> fixedFields = stackalloc byte[10];
            BinaryPrimitives.WriteUInt16LittleEndian(fixedFields, (ushort)endpoint.Port);
            BinaryPrimitives.WriteInt64LittleEndian(fixedFields.Slice(2), preamble.SiloAddress.Generation);
            writer.WriteBytes(fixedFields);
        }
        else
        {
            writer.WriteStringPayload(preamble.ClientId!);
        }

        writer.WriteStringPayload(preamble.NodeName);
        Emit(output, writer);
    }

    /// <summary>Writes a rejection frame; a reason longer than <see cref="MaxReasonBytes"/> is cut.</summary>
    public static void WriteRejection(IBufferWriter<byte> output, string reason)
    {
        using PulseWriter writer = new(256);
        WriteStart(writer, RejectionType);
        byte[] bytes = Encoding.UTF8.GetBytes(reason);
        int length = Math.Min(bytes.Length, MaxReasonBytes);

        // Cutting inside a multi-byte character would make the frame invalid UTF-8.
        while (length > 0 && length < bytes.Length && (bytes[length] & 0xC0) == 0x80)
        {
            length--;
        }

        writer.WriteBytesPayload(bytes.AsSpan(0, length));
        Emit(output, writer);
    }

    /// <summary>
    /// Reads one preamble frame from the start of <paramref name="buffer"/> and slices it off. Returns
    /// false, consuming nothing, when the frame is incomplete. Exactly one of <paramref name="hello"/>
    /// and <paramref name="rejection"/> is set on success.
    /// </summary>
    /// <exception cref="MessageFormatException">The frame is oversized or malformed.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out ConnectionPreamble? hello, out string? rejection)
    {
        hello = null;
        rejection = null;
        if (buffer.Length < LengthPrefixBytes)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
        buffer.Slice(0, LengthPrefixBytes).CopyTo(prefix);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        if (length is 0 or > MaxPreambleBytes)
        {
            throw new MessageFormatException($"A preamble declares {length} bytes; the limit is {MaxPreambleBytes}.");
        }

        if (buffer.Length - LengthPrefixBytes < length)
        {
            return false;
        }

        ReadOnlySequence<byte> frame = buffer.Slice(LengthPrefixBytes, length);
        Span<byte> content = stackalloc byte[MaxPreambleBytes];
        frame.CopyTo(content);
        Parse(content.Slice(0, (int)length), out hello, out rejection);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    private static void Parse(ReadOnlySpan<byte> content, out ConnectionPreamble? hello, out string? rejection)
    {
        hello = null;
        rejection = null;
        FrameReader reader = new(content);
        if (!reader.ReadBytes(Magic.Length).SequenceEqual(Magic))
        {
            throw new MessageFormatException("The peer did not send a Pulse preamble.");
        }

        byte layout = reader.ReadByte();
        if (layout != LayoutVersion)
        {
            throw new MessageFormatException($"Unsupported preamble layout version {layout}; this node speaks version {LayoutVersion}.");
        }

        byte type = reader.ReadByte();
        if (type == RejectionType)
        {
            rejection = ReadString(ref reader, MaxReasonBytes, "rejection reason");
        }
        else if (type == HelloType)
        {
            hello = ReadHello(ref reader);
        }
        else
        {
            throw new MessageFormatException($"Unknown preamble type {type}.");
        }

        if (reader.Remaining != 0)
        {
            throw new MessageFormatException($"The preamble has {reader.Remaining} unexpected bytes after its last field.");
        }
    }

    private static ConnectionPreamble ReadHello(ref FrameReader reader)
    {
        byte protocolVersion = reader.ReadByte();
        byte role = reader.ReadByte();
        string clusterId = ReadString(ref reader, ConnectionPreamble.MaxClusterIdBytes, "cluster id");
        try
        {
            switch ((ConnectionRole)role)
            {
                case ConnectionRole.Silo:
                    SiloAddress silo = ReadSiloAddress(ref reader);
                    string siloNodeName = ReadString(ref reader, ConnectionPreamble.MaxNameBytes, "node name");
                    return ConnectionPreamble.ForSilo(clusterId, silo, siloNodeName).WithProtocolVersion(protocolVersion);
                case ConnectionRole.Client:
                    string clientId = ReadString(ref reader, ConnectionPreamble.MaxNameBytes, "client id");
                    string clientNodeName = ReadString(ref reader, ConnectionPreamble.MaxNameBytes, "node name");
                    return ConnectionPreamble.ForClient(clusterId, clientId, clientNodeName).WithProtocolVersion(protocolVersion);
                default:
                    throw new MessageFormatException($"Unknown role {role} in the preamble.");
            }
        }
        catch (ArgumentException ex)
        {
            throw new MessageFormatException($"Invalid preamble: {ex.Message}", ex);
        }
    }

    private static SiloAddress ReadSiloAddress(ref FrameReader reader)
    {
        byte addressLength = reader.ReadByte();
        if (addressLength is not (4 or 16))
        {
            throw new MessageFormatException($"A silo address in the preamble has {addressLength} address bytes; expected 4 or 16.");
        }

        IPAddress address = new(reader.ReadBytes(addressLength));
        ushort port = BinaryPrimitives.ReadUInt16LittleEndian(reader.ReadBytes(2));
        long generation = BinaryPrimitives.ReadInt64LittleEndian(reader.ReadBytes(8));
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return new SiloAddress(new IPEndPoint(address, port), generation);
    }

    private static string ReadString(ref FrameReader reader, int maxBytes, string what)
    {
        ReadOnlySpan<byte> bytes = reader.ReadLengthPrefixed(maxBytes, what);
        if (!Utf8.IsValid(bytes))
        {
            throw new MessageFormatException($"The {what} in the preamble is not valid UTF-8.");
        }

        return Encoding.UTF8.GetString(bytes);
    }

    private static void WriteStart(PulseWriter writer, byte type)
    {
        writer.WriteFixed32(0);
        writer.WriteBytes(Magic);
        writer.WriteByte(LayoutVersion);
        writer.WriteByte(type);
    }

    private static void Emit(IBufferWriter<byte> output, PulseWriter writer)
    {
        int length = writer.Position - LengthPrefixBytes;
        if (length > MaxPreambleBytes)
        {
            // The field limits keep a valid preamble far below this; reaching it is a bug here.
            throw new InvalidOperationException($"A preamble of {length} bytes exceeds the limit of {MaxPreambleBytes}.");
        }

        writer.PatchFixed32(0, (uint)length);
        output.Write(writer.WrittenSpan);
    }
}
