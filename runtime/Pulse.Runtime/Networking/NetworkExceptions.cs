using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Networking;

/// <summary>
/// The other side refused the connection during the preamble exchange (wrong cluster, unsupported
/// protocol version, a client on the silo-only port), or answered with a preamble this node cannot accept.
/// </summary>
public sealed class ConnectionRejectedException : PulseException
{
    /// <summary>Creates the exception with the reason the connection was refused.</summary>
    public ConnectionRejectedException(string reason)
        : base($"The connection was rejected: {reason}")
    {
        Reason = reason;
    }

    /// <summary>Why the connection was refused, as the refusing side put it.</summary>
    public string Reason { get; }
}

/// <summary>
/// A message could not be sent because its connection is closed or closed while the message waited for
/// room in the send queue. The message was not written; the call may be retried on a new connection.
/// </summary>
public sealed class ConnectionClosedException : PulseException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionClosedException(string message, Exception? innerException = null, bool mayHaveBeenSent = false) : base(message, innerException)
    {
        MayHaveBeenSent = mayHaveBeenSent;
    }

    /// <summary>
    /// Whether the message may have reached the other side anyway: it was handed to the socket in a
    /// batch whose flush failed. False means it certainly was not sent, so a retry cannot duplicate it.
    /// </summary>
    public bool MayHaveBeenSent { get; }
}

/// <summary>
/// No connection to a silo could be made: the connect was refused or timed out, the handshake failed,
/// or an earlier attempt failed recently and the silo is in back-off (<see cref="InBackoff"/>).
/// </summary>
public class ConnectionFailedException : PulseException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionFailedException(SiloAddress target, string message, Exception? innerException = null, bool inBackoff = false)
        : base(message, innerException)
    {
        Target = target;
        InBackoff = inBackoff;
    }

    /// <summary>The silo that could not be reached.</summary>
    public SiloAddress Target { get; }

    /// <summary>Whether no attempt was made because a recent attempt failed and the back-off has not passed.</summary>
    public bool InBackoff { get; }
}

/// <summary>
/// The process listening at a silo's endpoint is a different incarnation (another generation) of that
/// silo: the silo the caller asked for has restarted, so it is gone for good and its calls must be re-routed.
/// </summary>
public sealed class SiloGenerationMismatchException : ConnectionFailedException
{
    /// <summary>Creates the exception.</summary>
    public SiloGenerationMismatchException(SiloAddress target, SiloAddress actual)
        : base(target, $"Silo {target} is gone: {actual} now listens on its endpoint.")
    {
        Actual = actual;
    }

    /// <summary>The silo that answered on the endpoint.</summary>
    public SiloAddress Actual { get; }
}
