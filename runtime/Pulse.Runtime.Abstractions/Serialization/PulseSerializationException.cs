namespace Pulse.Runtime.Serialization;

/// <summary>Data could not be serialized or deserialized: corrupt, truncated, too deep, or of an unsupported type.</summary>
public sealed class PulseSerializationException : PulseException
{
    public PulseSerializationException(string message) : base(message) { }
    public PulseSerializationException(string message, Exception? innerException) : base(message, innerException) { }
}
