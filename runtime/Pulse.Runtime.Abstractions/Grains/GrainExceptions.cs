namespace Pulse.Runtime;

/// <summary>Base class of the exceptions the Pulse runtime throws.</summary>
public class PulseException : Exception
{
    public PulseException() { }
    public PulseException(string message) : base(message) { }
    public PulseException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// A write or clear of persistent state found that the stored record changed since it was read
/// (its ETag no longer matches). Nothing was written. Re-read the state and decide again.
/// </summary>
public sealed class InconsistentStateException : PulseException
{
    public InconsistentStateException(string message) : base(message) { }

    public InconsistentStateException(string message, string? storedEtag, string? currentEtag)
        : base(message)
    {
        StoredEtag = storedEtag;
        CurrentEtag = currentEtag;
    }

    public InconsistentStateException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>The ETag found in storage, when known.</summary>
    public string? StoredEtag { get; }

    /// <summary>The ETag the writer held.</summary>
    public string? CurrentEtag { get; }
}

/// <summary>An exception thrown in another process whose type could not be recreated here.</summary>
public sealed class RemoteGrainException : PulseException
{
    public RemoteGrainException(string message) : base(message) { }

    public RemoteGrainException(string originalTypeName, string message, string? remoteStackTrace)
        : base(message)
    {
        OriginalTypeName = originalTypeName;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception type that was thrown remotely.</summary>
    public string OriginalTypeName { get; } = string.Empty;

    /// <summary>The stack trace captured where the exception was thrown.</summary>
    public string? RemoteStackTrace { get; }
}

/// <summary>
/// The grain store failed or could not be reached (a database error, not an ETag conflict): nothing was
/// read, or nothing is known to have been written. Usually transient; retry later.
/// </summary>
public sealed class GrainStorageException : PulseException
{
    public GrainStorageException(string message) : base(message) { }

    public GrainStorageException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A grain could not be activated (its constructor, state load or OnActivateAsync failed or timed out).</summary>
public sealed class GrainActivationException : PulseException
{
    public GrainActivationException(string message) : base(message) { }
    public GrainActivationException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A call addressed a grain type that no loaded grain class implements.</summary>
public sealed class GrainTypeNotFoundException : PulseException
{
    public GrainTypeNotFoundException(string message) : base(message) { }
}

/// <summary>The runtime is shutting down or has stopped and accepts no new calls.</summary>
public sealed class SiloUnavailableException : PulseException
{
    public SiloUnavailableException(string message) : base(message) { }
    public SiloUnavailableException(string message, Exception? innerException) : base(message, innerException) { }
}
