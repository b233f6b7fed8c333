using System.Buffers;
using System.IO.Pipelines;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>How the accepting side's handshake ended.</summary>
internal enum HandshakeOutcome
{
    /// <summary>The exchange did not finish (timeout, I/O error); the default, so an unset result never counts as accepted.</summary>
    Failed = 0,

    /// <summary>Both preambles exchanged; the connection may carry messages.</summary>
    Accepted,

    /// <summary>The peer was refused; a rejection frame was sent.</summary>
    Rejected,

    /// <summary>Fault injection blocks the peer: drop the socket without a word, as a dead network would.</summary>
    Blocked,
}

/// <summary>The accepting side's result: the outcome, the peer's preamble when read, the rejection reason.</summary>
internal readonly record struct AcceptResult(HandshakeOutcome Outcome, ConnectionPreamble? Remote, string? Reason);

/// <summary>
/// The preamble exchange: the connecting side sends its hello first; the accepting side checks it and
/// answers with its own hello or a rejection. Both run over the pipes the connection then keeps, so
/// bytes read past the preamble are not lost.
/// </summary>
internal static class ConnectionHandshake
{
    /// <summary>Runs the connecting side and returns the accepting node's preamble.</summary>
    /// <exception cref="ConnectionRejectedException">The peer refused us, or is not a silo of our cluster speaking our protocol.</exception>
    /// <exception cref="MessageFormatException">The peer's answer is malformed.</exception>
    /// <exception cref="IOException">The connection closed or failed before the answer arrived.</exception>
    public static async ValueTask<ConnectionPreamble> ConnectAsync(PipeReader reader, PipeWriter writer, ConnectionPreamble local, CancellationToken cancellationToken)
    {
        PreambleCodec.WriteHello(writer, local);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        (ConnectionPreamble? hello, string? rejection) = await ReadAsync(reader, cancellationToken).ConfigureAwait(false);
        if (rejection is not null)
        {
            throw new ConnectionRejectedException(rejection);
        }

        // Outbound connections only ever go to silos.
        string? problem = Check(local, hello!, ConnectionRole.Silo);
        if (problem is not null)
        {
            throw new ConnectionRejectedException($"the accepting node is not acceptable: {problem}");
        }

        return hello!;
    }

    /// <summary>
    /// Runs the accepting side: reads the peer's hello, refuses it (sending the reason) if its protocol
    /// version, cluster or role does not fit, otherwise answers with <paramref name="local"/>.
    /// </summary>
    /// <exception cref="IOException">The connection closed or failed during the exchange.</exception>
    public static async ValueTask<AcceptResult> AcceptAsync(
        PipeReader reader, PipeWriter writer, ConnectionPreamble local, ConnectionRole acceptedRole, INetworkFaults faults, CancellationToken cancellationToken)
    {
        ConnectionPreamble? hello;
        string? reason;
        try
        {
            (hello, string? rejection) = await ReadAsync(reader, cancellationToken).ConfigureAwait(false);
            reason = rejection is null ? Check(local, hello!, acceptedRole) : "a rejection is not a valid opening preamble";
        }
        catch (MessageFormatException ex)
        {
            hello = null;
            reason = $"malformed preamble: {ex.Message}";
        }

        if (hello is not null && faults.IsBlocked(local.SiloOrNull, hello.SiloOrNull))
        {
            return new AcceptResult(HandshakeOutcome.Blocked, hello, "blocked by fault injection");
        }

        if (reason is not null)
        {
            PreambleCodec.WriteRejection(writer, reason);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new AcceptResult(HandshakeOutcome.Rejected, hello, reason);
        }

        PreambleCodec.WriteHello(writer, local);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        return new AcceptResult(HandshakeOutcome.Accepted, hello, null);
    }

    /// <summary>Why <paramref name="remote"/> may not talk to <paramref name="local"/>, or null when it may.</summary>
    private static string? Check(ConnectionPreamble local, ConnectionPreamble remote, ConnectionRole acceptedRole)
    {
        if (remote.ProtocolVersion != local.ProtocolVersion)
        {
            return $"protocol version {remote.ProtocolVersion} is not supported; this node speaks version {local.ProtocolVersion}";
        }

        if (!string.Equals(remote.ClusterId, local.ClusterId, StringComparison.Ordinal))
        {
            return $"cluster id '{remote.ClusterId}' does not match this node's cluster '{local.ClusterId}'";
        }

        if (remote.Role != acceptedRole)
        {
            return acceptedRole == ConnectionRole.Silo
                ? $"this port accepts only silos, not a {remote.Role.ToString().ToLowerInvariant()}; clients connect to the client port"
                : $"this port accepts only clients, not a {remote.Role.ToString().ToLowerInvariant()}; silos connect to the silo port";
        }

        return null;
    }

    private static async ValueTask<(ConnectionPreamble? Hello, string? Rejection)> ReadAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (PreambleCodec.TryRead(ref buffer, out ConnectionPreamble? hello, out string? rejection))
            {
                reader.AdvanceTo(buffer.Start);
                return (hello, rejection);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                throw new IOException("The connection closed during the handshake.");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
