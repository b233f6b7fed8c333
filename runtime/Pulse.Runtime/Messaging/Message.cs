using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Messaging;

/// <summary>What a message is. Values 8 to 15 are reserved for future kinds; readers reject any kind they do not know.</summary>
public enum MessageKind : byte
{
    /// <summary>A call that expects a <see cref="Response"/> with the same correlation id.</summary>
    Request = 0,

    /// <summary>The outcome of a <see cref="Request"/>; see <see cref="Message.Status"/>.</summary>
    Response = 1,

    /// <summary>A call that expects no response.</summary>
    OneWay = 2,

    /// <summary>Asks the receiver to cancel the request with the same correlation id; no response.</summary>
    Cancel = 3,

    /// <summary>A membership probe: the receiver answers at once with a <see cref="Pong"/> of the same correlation id.</summary>
    Ping = 4,

    /// <summary>The answer to a <see cref="Ping"/>.</summary>
    Pong = 5,

    /// <summary>A hint that the membership table changed: the receiver refreshes its view now. No response.</summary>
    MembershipChanged = 6,

    /// <summary>
    /// Calls of one method on many grains that the sender believes the receiver owns (see
    /// <see cref="BundleBody"/>), answered by one <see cref="Response"/> with the same correlation id
    /// that holds an outcome per call.
    /// </summary>
    BundleRequest = 7,
}

/// <summary>Call semantics carried with a request, taken from the method's attributes.</summary>
[Flags]
public enum MessageFlags : ushort
{
    /// <summary>An ordinary call.</summary>
    None = 0,

    /// <summary>The method does not change state; it may interleave with other read-only calls.</summary>
    ReadOnly = 1,

    /// <summary>The method may interleave with any call.</summary>
    AlwaysInterleave = 2,

    /// <summary>The call may be retried safely (for example after its silo died).</summary>
    Idempotent = 4,

    /// <summary>The call need not be delivered in order with other calls from the same sender.</summary>
    Unordered = 8,
}

/// <summary>How a request ended, carried by a <see cref="MessageKind.Response"/>.</summary>
public enum ResponseStatus : byte
{
    /// <summary>The method completed; the body holds the result.</summary>
    Ok = 0,

    /// <summary>The method (or the runtime on its behalf) threw; the body holds the exception.</summary>
    Exception = 1,

    /// <summary>The receiving silo does not own the grain; refresh the membership view and resend.</summary>
    Retry = 2,

    /// <summary>The receiving silo is overloaded or shutting down and did not run the request.</summary>
    Rejected = 3,

    /// <summary>The request's time to live ran out before it completed.</summary>
    Timeout = 4,

    /// <summary>The request was cancelled.</summary>
    Cancelled = 5,
}

/// <summary>
/// One unit of silo-to-silo or client-to-silo traffic: a header and an opaque body. See
/// <see cref="MessageSerializer"/> for the wire layout and limits. Instances are mutable and not
/// thread-safe; a message belongs to one sender or one receiver at a time.
/// </summary>
public sealed class Message
{
    /// <summary>What the message is.</summary>
    public MessageKind Kind { get; set; }

    /// <summary>Call semantics of a request.</summary>
    public MessageFlags Flags { get; set; }

    /// <summary>Pairs a response (or cancel) with its request; unique per sender and connection lifetime.</summary>
    public long CorrelationId { get; set; }

    /// <summary>The grain the message is for; required for requests, one-way calls and cancels.</summary>
    public GrainId Target { get; set; }

    /// <summary>
    /// The grain interface whose method is called, which selects the request factory on the receiver;
    /// required for requests and one-way calls.
    /// </summary>
    public GrainType InterfaceType { get; set; }

    /// <summary>The method within <see cref="InterfaceType"/> (<see cref="GrainMethodDescriptor.MethodId"/>).</summary>
    public uint MethodId { get; set; }

    /// <summary>The calling grain, when a grain made the call (default for calls from clients).</summary>
    public GrainId SendingGrain { get; set; }

    /// <summary>
    /// Milliseconds left until the caller gives up, measured when the message was written; 0 means no
    /// deadline. Remaining time rather than an absolute deadline, so silo clocks need not agree.
    /// </summary>
    public uint TimeToLiveMilliseconds { get; set; }

    /// <summary>How many times a silo that did not own the target passed the message on.</summary>
    public byte ForwardCount { get; set; }

    /// <summary>The outcome carried by a response; <see cref="ResponseStatus.Ok"/> for other kinds.</summary>
    public ResponseStatus Status { get; set; }

    /// <summary>
    /// The payload: request arguments (<see cref="RequestBody"/>) or a result or exception
    /// (<see cref="ResponseBody"/>). A message read from the wire owns a private copy.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; set; }

    /// <summary>
    /// A response that answers part of a bundle, with more to follow; not sent on the wire. A connection
    /// counts only a request's last response as its answer.
    /// </summary>
    internal bool Partial { get; set; }

    /// <summary>Whether the sender waits for a response.</summary>
    public bool ExpectsResponse => Kind is MessageKind.Request or MessageKind.BundleRequest;

    /// <summary>
    /// Creates a request (or one-way) message for <paramref name="request"/> with its arguments
    /// serialized into the body.
    /// </summary>
    public static Message CreateRequest(GrainId target, GrainRequest request, long correlationId, GrainId sendingGrain = default, uint timeToLiveMilliseconds = 0)
    {
        ArgumentNullException.ThrowIfNull(request);
        GrainMethodDescriptor method = request.Method;
        return new Message
        {
            Kind = method.OneWay ? MessageKind.OneWay : MessageKind.Request,
            Flags = ToFlags(method.Options),
            CorrelationId = correlationId,
            Target = target,
            InterfaceType = method.GrainType,
            MethodId = method.MethodId,
            SendingGrain = sendingGrain,
            TimeToLiveMilliseconds = timeToLiveMilliseconds,
            Body = RequestBody.Serialize(request),
        };
    }

    /// <summary>
    /// Creates the response to this request with <paramref name="body"/>. The receiver matches a
    /// response to its call by correlation id alone, so the response carries no grain ids, interface
    /// or method: repeating them would cost header bytes on every answer and, on the receiving side,
    /// a decoded key string that nothing reads.
    /// </summary>
    public Message CreateResponse(ResponseStatus status, ReadOnlyMemory<byte> body) => new()
    {
        Kind = MessageKind.Response,
        CorrelationId = CorrelationId,
        Status = status,
        Body = body,
    };

    /// <summary>Maps a method's options onto message flags.</summary>
    public static MessageFlags ToFlags(InvokeMethodOptions options)
    {
        MessageFlags flags = MessageFlags.None;
        if ((options & InvokeMethodOptions.ReadOnly) != 0)
        {
            flags |= MessageFlags.ReadOnly;
        }

        if ((options & InvokeMethodOptions.AlwaysInterleave) != 0)
        {
            flags |= MessageFlags.AlwaysInterleave;
        }

        if ((options & InvokeMethodOptions.Idempotent) != 0)
        {
            flags |= MessageFlags.Idempotent;
        }

        return flags;
    }

    /// <inheritdoc />
    public override string ToString() =>
        Kind == MessageKind.Response
            ? $"Response #{CorrelationId} {Status}"
            : $"{Kind} #{CorrelationId} {InterfaceType}/{MethodId} to {Target}";
}

/// <summary>A frame could not be read: corrupt, truncated, oversized, or of an unsupported protocol version.</summary>
public sealed class MessageFormatException : PulseException
{
    /// <summary>Creates the exception.</summary>
    public MessageFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public MessageFormatException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
