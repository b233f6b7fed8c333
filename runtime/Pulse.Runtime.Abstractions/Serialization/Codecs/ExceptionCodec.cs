using System.Diagnostics.CodeAnalysis;
using Pulse.Runtime.Serialization.Codecs;

namespace Pulse.Runtime.Serialization;

/// <summary>
/// Serializes exceptions so they reach a remote caller with their type, message and stack trace.
/// Layout: LengthPrefixed { 0: type full name, 1: message, 2: stack trace, 3: inner exception
/// (same layout), 4: type-specific data (the ETags of an <see cref="InconsistentStateException"/>,
/// the original type name of a <see cref="RemoteGrainException"/>) }.
/// </summary>
/// <remarks>
/// Reading recreates the original type only when it derives from <see cref="Exception"/> and is
/// defined in System.Private.CoreLib, in an already loaded assembly whose name starts with
/// <c>Pulse.</c>, or was passed to <see cref="Allow"/>; it is constructed through its
/// <c>(string, Exception)</c> or <c>(string)</c> constructor. Anything else becomes a
/// <see cref="RemoteGrainException"/> carrying the original type name. Types are never loaded by
/// name from anywhere else, so a peer cannot make this process instantiate arbitrary types.
/// </remarks>
public sealed class ExceptionCodec : IFieldCodec<Exception>
{
    /// <summary>
    /// How many inner exceptions are written below the outer one; deeper ones are dropped so the
    /// payload stays well within the reader's nesting limit (<see cref="PulseReader.DefaultMaxDepth"/>).
    /// </summary>
    public const int MaxInnerExceptionDepth = 16;

    /// <summary>The shared instance.</summary>
    public static ExceptionCodec Instance { get; } = new();

    private ExceptionCodec()
    {
    }

    /// <summary>
    /// Allows exceptions of <paramref name="exceptionType"/> to be recreated with their own type when
    /// deserialized, although the type lives outside CoreLib and the <c>Pulse.*</c> assemblies.
    /// Safe to call more than once.
    /// </summary>
    /// <exception cref="ArgumentException">The type does not derive from <see cref="Exception"/>, or is abstract or open generic.</exception>
    public static void Allow(Type exceptionType) => ExceptionActivator.Allow(exceptionType);

    /// <inheritdoc />
    public void WriteField(PulseWriter writer, uint fieldId, Exception value)
    {
        if (value is null)
        {
            writer.WriteTag(fieldId, WireType.Null);
            return;
        }

        Write(writer, fieldId, value, depth: 0);
    }

    /// <inheritdoc />
    public Exception ReadValue(PulseReader reader, WireType wireType)
    {
        if (wireType == WireType.Null)
        {
            return null!;
        }

        CodecHelpers.ExpectWireType<Exception>(wireType, WireType.LengthPrefixed);
        return Read(reader);
    }

    private static void Write(PulseWriter writer, uint fieldId, Exception exception, int depth)
    {
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        int token = writer.BeginLengthPrefixed();
        Type type = exception.GetType();
        StringCodec.Instance.WriteField(writer, 0, type.FullName ?? type.Name);
        StringCodec.Instance.WriteField(writer, 1, exception.Message);
        if (exception.StackTrace is { } stackTrace)
        {
            StringCodec.Instance.WriteField(writer, 2, stackTrace);
        }

        if (exception.InnerException is { } inner && depth < MaxInnerExceptionDepth)
        {
            Write(writer, 3, inner, depth + 1);
        }

        switch (exception)
        {
            case InconsistentStateException inconsistent:
                writer.WriteTag(4, WireType.LengthPrefixed);
                int etags = writer.BeginLengthPrefixed();
                StringCodec.Instance.WriteField(writer, 0, inconsistent.StoredEtag!);
                StringCodec.Instance.WriteField(writer, 1, inconsistent.CurrentEtag!);
                writer.EndLengthPrefixed(etags);
                break;
            case RemoteGrainException remote:
                StringCodec.Instance.WriteField(writer, 4, remote.OriginalTypeName);
                break;
        }

        writer.EndLengthPrefixed(token);
    }

    // Recursion through field 3 is bounded by the reader's nesting limit.
    private static Exception Read(PulseReader reader)
    {
        int end = reader.EnterNested();
        ExceptionData data = default;
        while (reader.Position < end)
        {
            reader.ReadTag(out uint id, out WireType wireType);
            switch (id)
            {
                case 0:
                    data.TypeName = ReadString(reader, wireType);
                    break;
                case 1:
                    data.Message = ReadString(reader, wireType);
                    break;
                case 2:
                    data.StackTrace = ReadString(reader, wireType);
                    break;
                case 3:
                    data.Inner = wireType == WireType.Null ? null : ReadInner(reader, wireType);
                    break;
                case 4 when data.TypeName == ExceptionActivator.InconsistentStateTypeName && wireType == WireType.LengthPrefixed:
                    ReadEtags(reader, ref data);
                    break;
                case 4 when data.TypeName == ExceptionActivator.RemoteGrainTypeName:
                    data.OriginalTypeName = ReadString(reader, wireType);
                    break;
                default:
                    reader.SkipField(wireType);
                    break;
            }
        }

        reader.ExitNested(end);
        return ExceptionActivator.Create(in data);
    }

    private static Exception ReadInner(PulseReader reader, WireType wireType)
    {
        CodecHelpers.ExpectWireType<Exception>(wireType, WireType.LengthPrefixed);
        return Read(reader);
    }

    private static void ReadEtags(PulseReader reader, ref ExceptionData data)
    {
        int end = reader.EnterNested();
        while (reader.Position < end)
        {
            reader.ReadTag(out uint id, out WireType wireType);
            switch (id)
            {
                case 0:
                    data.StoredEtag = ReadString(reader, wireType);
                    break;
                case 1:
                    data.CurrentEtag = ReadString(reader, wireType);
                    break;
                default:
                    reader.SkipField(wireType);
                    break;
            }
        }

        reader.ExitNested(end);
    }

    private static string? ReadString(PulseReader reader, WireType wireType) =>
        StringCodec.Instance.ReadValue(reader, wireType);
}

/// <summary>What was read of one serialized exception.</summary>
internal struct ExceptionData
{
    public string? TypeName;
    public string? Message;
    public string? StackTrace;
    public Exception? Inner;
    public string? StoredEtag;
    public string? CurrentEtag;
    public string? OriginalTypeName;
}

/// <summary>
/// Any type derived from <see cref="Exception"/>: the same layout as <see cref="ExceptionCodec"/>.
/// If the remote type could not be recreated as a <typeparamref name="TException"/> (it fell back to
/// <see cref="RemoteGrainException"/>), reading fails, because the field's declared type cannot hold it.
/// </summary>
internal sealed class DerivedExceptionCodec<TException> : IFieldCodec<TException>
    where TException : Exception
{
    public void WriteField(PulseWriter writer, uint fieldId, TException value) =>
        ExceptionCodec.Instance.WriteField(writer, fieldId, value);

    public TException ReadValue(PulseReader reader, WireType wireType)
    {
        Exception exception = ExceptionCodec.Instance.ReadValue(reader, wireType);
        if (exception is null or TException)
        {
            return (TException)exception!;
        }

        ThrowMismatch(exception);
        return null;
    }

    [DoesNotReturn]
    private static void ThrowMismatch(Exception exception) =>
        throw new PulseSerializationException(
            $"A field of type {typeof(TException)} holds a {exception.GetType()} that cannot be assigned to it.", exception);
}
