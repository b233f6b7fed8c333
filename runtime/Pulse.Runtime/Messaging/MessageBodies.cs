using System.Diagnostics.CodeAnalysis;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Messaging;

/// <summary>
/// The body of a request or one-way message: the arguments of a <see cref="GrainRequest"/> as fields
/// 0..n-1, written and read by the request's generated code.
/// </summary>
public static class RequestBody
{
    [ThreadStatic]
    private static PulseWriter? t_writer;

    /// <summary>Writes the arguments of <paramref name="request"/>.</summary>
    public static void Write(PulseWriter writer, GrainRequest request)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(request);
        request.WriteArguments(writer);
    }

    /// <summary>Serializes the arguments of <paramref name="request"/> into a new array.</summary>
    public static byte[] Serialize(GrainRequest request)
    {
        PulseWriter writer = t_writer ??= new PulseWriter();
        writer.Reset();
        Write(writer, request);
        byte[] body = writer.ToArray();
        ReleaseIfLarge(ref t_writer);
        return body;
    }

    /// <summary>
    /// Drops a per-thread writer that grew for an unusually large body, so every thread does not keep
    /// the largest buffer it ever needed.
    /// </summary>
    internal static void ReleaseIfLarge(ref PulseWriter? writer)
    {
        const int MaxRetainedBytes = 64 * 1024;
        if (writer is { Capacity: > MaxRetainedBytes })
        {
            writer.Dispose();
            writer = null;
        }
    }

    /// <summary>Fills <paramref name="request"/> (made by the interface's request factory) from <paramref name="body"/>.</summary>
    /// <exception cref="PulseSerializationException">The body is corrupt or does not match the method.</exception>
    public static void Read(ReadOnlyMemory<byte> body, GrainRequest request, IGrainFactory? grainFactory = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        PulseReader reader = BodyReaders.Rent(body, grainFactory);
        try
        {
            request.ReadArguments(reader);
        }
        finally
        {
            BodyReaders.Return(reader);
        }
    }
}

/// <summary>
/// One <see cref="PulseReader"/> per thread for message bodies, instead of one per message (two per
/// remote call). Reading a body never awaits, so the reader is free again when the read returns; it
/// leaves the slot while in use, so a read nested inside another (a codec reading a body within a
/// body) gets a reader of its own rather than moving the outer one.
/// </summary>
internal static class BodyReaders
{
    [ThreadStatic]
    private static PulseReader? t_reader;

    public static PulseReader Rent(ReadOnlyMemory<byte> body, IGrainFactory? grainFactory)
    {
        PulseReader reader = t_reader ?? new PulseReader();
        t_reader = null;
        reader.Reset(body);
        reader.GrainFactory = grainFactory;
        return reader;
    }

    public static void Return(PulseReader reader)
    {
        // Dropping the body and the factory keeps a finished message alive no longer than it was used.
        reader.Reset(ReadOnlyMemory<byte>.Empty);
        reader.GrainFactory = null;
        t_reader = reader;
    }
}

/// <summary>
/// The body of a response. <see cref="ResponseStatus.Ok"/>: the result as field 0 (written by its
/// codec; <see cref="NoResult"/> may also be an empty body). <see cref="ResponseStatus.Exception"/>:
/// the exception as field 0 (see <see cref="ExceptionCodec"/>). Other statuses: empty.
/// </summary>
public static class ResponseBody
{
    [ThreadStatic]
    private static PulseWriter? t_writer;

    /// <summary>Writes a successful result.</summary>
    public static void WriteResult<T>(PulseWriter writer, T value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Codec<T>.Instance.WriteField(writer, 0, value);
    }

    /// <summary>Writes an exception thrown by the method or by the runtime on its behalf.</summary>
    public static void WriteException(PulseWriter writer, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(exception);
        ExceptionCodec.Instance.WriteField(writer, 0, exception);
    }

    /// <summary>Serializes a successful result into a new array (for <see cref="Message.Body"/>).</summary>
    public static byte[] SerializeResult<T>(T value)
    {
        PulseWriter writer = RentWriter();
        WriteResult(writer, value);
        byte[] body = writer.ToArray();
        RequestBody.ReleaseIfLarge(ref t_writer);
        return body;
    }

    /// <summary>Serializes an exception into a new array (for <see cref="Message.Body"/>).</summary>
    public static byte[] SerializeException(Exception exception)
    {
        PulseWriter writer = RentWriter();
        WriteException(writer, exception);
        byte[] body = writer.ToArray();
        RequestBody.ReleaseIfLarge(ref t_writer);
        return body;
    }

    /// <summary>Returns the result of <paramref name="response"/>, or throws the failure it carries.</summary>
    /// <exception cref="PulseSerializationException">The body is corrupt or does not hold a <typeparamref name="T"/>.</exception>
    public static T ReadResult<T>(Message response, IGrainFactory? grainFactory = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        return ReadResult<T>(response.Status, response.Body, grainFactory);
    }

    /// <summary>
    /// Returns the result in <paramref name="body"/> when <paramref name="status"/> is
    /// <see cref="ResponseStatus.Ok"/>; otherwise throws the exception from <see cref="ReadFailure"/>
    /// (for <see cref="ResponseStatus.Exception"/>, the deserialized remote exception).
    /// </summary>
    /// <exception cref="PulseSerializationException">The body is corrupt or does not hold a <typeparamref name="T"/>.</exception>
    public static T ReadResult<T>(ResponseStatus status, ReadOnlyMemory<byte> body, IGrainFactory? grainFactory = null)
    {
        if (status != ResponseStatus.Ok)
        {
            Throw(ReadFailure(status, body));
        }

        if (body.IsEmpty)
        {
            if (typeof(T) == typeof(NoResult))
            {
                return default!;
            }

            ThrowEmpty<T>();
        }

        PulseReader reader = BodyReaders.Rent(body, grainFactory);
        try
        {
            reader.ReadTag(out uint fieldId, out WireType wireType);
            if (fieldId != 0)
            {
                ThrowUnexpectedField(fieldId);
            }

            return Codec<T>.Instance.ReadValue(reader, wireType);
        }
        finally
        {
            BodyReaders.Return(reader);
        }
    }

    /// <summary>
    /// The exception a failed response stands for: the deserialized exception for
    /// <see cref="ResponseStatus.Exception"/>, <see cref="SiloUnavailableException"/> for
    /// <see cref="ResponseStatus.Retry"/> and <see cref="ResponseStatus.Rejected"/>,
    /// <see cref="TimeoutException"/> and <see cref="OperationCanceledException"/> for the others.
    /// Corrupt bodies yield a <see cref="PulseSerializationException"/>; this method does not throw.
    /// </summary>
    public static Exception ReadFailure(ResponseStatus status, ReadOnlyMemory<byte> body) => status switch
    {
        ResponseStatus.Exception => ReadException(body),
        ResponseStatus.Retry => new SiloUnavailableException(
            "The silo that received the call does not own the grain; the caller's membership view is out of date."),
        ResponseStatus.Rejected => new SiloUnavailableException("The silo rejected the call because it is overloaded or shutting down."),
        ResponseStatus.Timeout => new TimeoutException("The call did not complete within its time to live."),
        ResponseStatus.Cancelled => new OperationCanceledException("The call was cancelled."),
        _ => new PulseSerializationException($"A response has status {status}, which is not a failure this process knows."),
    };

    private static Exception ReadException(ReadOnlyMemory<byte> body)
    {
        try
        {
            PulseReader reader = new(body);
            reader.ReadTag(out uint fieldId, out WireType wireType);
            Exception? exception = fieldId == 0 ? ExceptionCodec.Instance.ReadValue(reader, wireType) : null;
            return exception ?? new PulseSerializationException("A failed response does not carry its exception.");
        }
        catch (PulseSerializationException ex)
        {
            return ex;
        }
    }

    private static PulseWriter RentWriter()
    {
        PulseWriter writer = t_writer ??= new PulseWriter();
        writer.Reset();
        return writer;
    }

    [DoesNotReturn]
    private static void Throw(Exception exception) => throw exception;

    [DoesNotReturn]
    private static void ThrowEmpty<T>() =>
        throw new PulseSerializationException($"A successful response has an empty body, but the caller expects a {typeof(T)}.");

    [DoesNotReturn]
    private static void ThrowUnexpectedField(uint fieldId) =>
        throw new PulseSerializationException($"A response body starts with field {fieldId}; the result is field 0.");
}
