using Pulse.Runtime.Serialization;
using Pulse.Runtime.Serialization.Codecs;

namespace Pulse.Runtime.Messaging;

/// <summary>
/// The bodies of a <see cref="MessageKind.BundleRequest"/> and of the <see cref="MessageKind.Response"/>s
/// that answer it. The header names the interface and method, which every call in the bundle shares.
/// </summary>
/// <remarks>
/// <code>
/// request:  varint count (1..MaxCalls), then per call:
///             string grain type alias, string grain key, bytes arguments (a <see cref="RequestBody"/>)
/// response: varint first, varint count: the outcomes of calls first..first+count-1, in request order:
///             byte status (<see cref="ResponseStatus"/>), bytes outcome (a <see cref="ResponseBody"/> for that status)
/// </code>
/// <para>
/// A bundle may be answered by several responses with its correlation id, each holding a run of
/// outcomes, so that large results never need one oversized frame. A response whose own status is not
/// <see cref="ResponseStatus.Ok"/> applies to every call not answered yet, and its body is then that of
/// a plain response.
/// </para>
/// </remarks>
public static class BundleBody
{
    /// <summary>Most calls in one bundle; a sender splits larger groups.</summary>
    public const int MaxCalls = 256;

    /// <summary>Largest request body a sender puts in one bundle; beyond it, its calls go one message each.</summary>
    public const int MaxRequestBytes = 1024 * 1024;

    /// <summary>About how many bytes of outcomes a receiver puts in one response before starting another.</summary>
    public const int ResponseChunkBytes = 256 * 1024;

    /// <summary>Appends one call to the calls of a request body (its count is put in front by <see cref="Join"/>).</summary>
    public static void WriteCall(PulseWriter writer, GrainId target, ReadOnlySpan<byte> arguments)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringPayload(target.Type.Value);
        writer.WriteStringPayload(target.Key);
        writer.WriteBytesPayload(arguments);
    }

    /// <summary>Appends one outcome to the outcomes of a response body (its first index and count are put in front by <see cref="Join"/>).</summary>
    public static void WriteOutcome(PulseWriter writer, ResponseStatus status, ReadOnlySpan<byte> outcome)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteByte((byte)status);
        writer.WriteBytesPayload(outcome);
    }

    /// <summary>A new array holding <paramref name="prefix"/> as varints followed by <paramref name="entries"/>.</summary>
    public static byte[] Join(ReadOnlySpan<uint> prefix, ReadOnlySpan<byte> entries)
    {
        using var head = new PulseWriter(16);
        foreach (uint value in prefix)
        {
            head.WriteVarUInt32(value);
        }

        byte[] body = new byte[head.Position + entries.Length];
        head.WrittenSpan.CopyTo(body);
        entries.CopyTo(body.AsSpan(head.Position));
        return body;
    }

    /// <summary>Reads the first index and count of a response body and checks them against the bundle's <paramref name="calls"/>.</summary>
    /// <exception cref="PulseSerializationException">The run is empty, falls outside the bundle, or the body is truncated.</exception>
    public static int ReadRun(PulseReader reader, int calls, out int first)
    {
        ArgumentNullException.ThrowIfNull(reader);
        uint start = reader.ReadVarUInt32();
        uint count = reader.ReadVarUInt32();
        if (count == 0 || start >= (uint)calls || count > (uint)calls - start)
        {
            throw new PulseSerializationException($"A bundle answer holds {count} outcomes from call {start}; the bundle has {calls} calls.");
        }

        first = (int)start;
        return (int)count;
    }

    /// <summary>Reads the call count of a request body.</summary>
    /// <exception cref="PulseSerializationException">The count is 0 or over <see cref="MaxCalls"/>, or the body is truncated.</exception>
    public static int ReadCount(PulseReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        uint count = reader.ReadVarUInt32();
        if (count is 0 or > MaxCalls)
        {
            throw new PulseSerializationException($"A bundle declares {count} calls; it must hold 1 to {MaxCalls}.");
        }

        return (int)count;
    }

    /// <summary>Reads the next call of a request body: its target and its arguments (a slice of the body, not a copy).</summary>
    /// <exception cref="PulseSerializationException">The call is truncated or its grain id is invalid.</exception>
    public static GrainId ReadCall(PulseReader reader, out ReadOnlyMemory<byte> arguments)
    {
        ArgumentNullException.ThrowIfNull(reader);
        GrainType type = GrainTypeCodec.ReadPayload(reader);
        string key = reader.ReadStringPayload();
        if (type.IsDefault || key.Length is 0 or > GrainId.MaxKeyLength)
        {
            throw new PulseSerializationException($"A bundled call names an invalid grain (type '{type}', key of {key.Length} characters).");
        }

        arguments = reader.ReadMemory(reader.ReadLength());
        return new GrainId(type, key);
    }

    /// <summary>Reads the next outcome of a response body.</summary>
    /// <exception cref="PulseSerializationException">The outcome is truncated or has an unknown status.</exception>
    public static ResponseStatus ReadOutcome(PulseReader reader, out ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(reader);
        byte status = reader.ReadByte();
        if (status > (byte)ResponseStatus.Cancelled)
        {
            throw new PulseSerializationException($"A bundled outcome has status {status}, which this process does not know.");
        }

        body = reader.ReadMemory(reader.ReadLength());
        return (ResponseStatus)status;
    }
}
