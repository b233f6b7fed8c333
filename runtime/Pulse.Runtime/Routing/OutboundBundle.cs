using System.Threading.Tasks.Sources;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Routing;

/// <summary>
/// Calls of one method on grains owned by one other silo, sent as one <see cref="MessageKind.BundleRequest"/>.
/// Each call's task is this object with the call's index as token, so a bundled call allocates no
/// completion of its own and the bundle is the only entry in the pending-call table while it is out.
/// </summary>
/// <remarks>
/// <para>
/// Every outcome (an answer, a timeout, a dead silo, a retry) first claims its call, so each call
/// completes once whichever comes first; the table entry goes when the last sent call is claimed.
/// </para>
/// <para>
/// A call that must be routed again (the receiver did not own its grain, or the bundle never got
/// there) gets a completion of its own that keeps the bundle's deadline and forwards to its slot, and
/// then takes the path of any single call. Calls are added by one thread; an early wait can send the
/// bundle from another, so adding and sending share a lock.
/// </para>
/// </remarks>
internal sealed class OutboundBundle<TResult> : GrainCallBundlePart, IValueTaskSource<TResult>, IRemotePendingCall
{
    private const int InitialCapacity = 8;

    [ThreadStatic]
    private static PulseWriter? t_calls;

    [ThreadStatic]
    private static PulseWriter? t_arguments;

    private readonly MessageRouter _router;
    private GrainId[] _targets = new GrainId[InitialCapacity];
    private GrainRequest<TResult>[] _requests = new GrainRequest<TResult>[InitialCapacity];
    private int _count;
    private bool _sent;

    // Made when the bundle is sent: only then can anyone wait on a call, and the arrays never move afterwards.
    private ManualResetValueTaskSourceCore<TResult>[]? _calls;
    private int[]? _claimed;

    // The calls in the message, by position (null: all of them, in order), and how many of them are still unclaimed.
    private int[]? _sentCalls;
    private int _sentCount;
    private int _unclaimedSent;

    public OutboundBundle(MessageRouter router, SiloAddress silo, GrainMethodDescriptor method)
        : base(router, silo, method)
    {
        _router = router;
    }

    public long CorrelationId { get; private set; }

    public long DeadlineTimestamp { get; private set; }

    public SiloAddress SentTo => Silo;

    public override bool IsOpen
    {
        get
        {
            lock (this)
            {
                return !_sent && _count < BundleBody.MaxCalls;
            }
        }
    }

    /// <summary>Adds a call; returns its task, or false when the part is no longer open.</summary>
    public bool TryAdd(GrainId target, GrainRequest<TResult> request, out ValueTask<TResult> call)
    {
        lock (this)
        {
            if (_sent || _count == BundleBody.MaxCalls)
            {
                call = default;
                return false;
            }

            if (_count == _targets.Length)
            {
                int capacity = Math.Min(_count * 2, BundleBody.MaxCalls);
                Array.Resize(ref _targets, capacity);
                Array.Resize(ref _requests, capacity);
            }

            _targets[_count] = target;
            _requests[_count] = request;
            call = new ValueTask<TResult>(this, (short)_count);
            _count++;
            return true;
        }
    }

    public override void Send()
    {
        lock (this)
        {
            if (_sent)
            {
                return;
            }

            _sent = true;
            _calls = new ManualResetValueTaskSourceCore<TResult>[_count];
            _claimed = new int[_count];
            CorrelationId = _router.PendingCalls.NextCorrelationId();
            DeadlineTimestamp = _router.PendingCalls.ComputeDeadline();
        }

        byte[]? body = WriteBody(out bool tooLarge);
        if (tooLarge)
        {
            // Large arguments: a frame per call keeps each within the frame limit.
            for (int position = 0; position < _sentCount; position++)
            {
                int index = SentCall(position);
                if (Claim(index, counted: false))
                {
                    SendAlone(index);
                }
            }

            return;
        }

        if (body is null)
        {
            return;
        }

        var message = new Message
        {
            Kind = MessageKind.BundleRequest,
            Flags = Message.ToFlags(Method.Options),
            CorrelationId = CorrelationId,
            InterfaceType = Method.GrainType,
            MethodId = Method.MethodId,
            TimeToLiveMilliseconds = (uint)_router.PendingCalls.ResponseTimeout.TotalMilliseconds,
            Body = body,
        };
        _router.PendingCalls.Add(this);
        _router.SendBundle(Silo, message, this);
    }

    public void OnResponse(Message response)
    {
        if (response.Status != ResponseStatus.Ok)
        {
            // About the whole bundle. Retry: nothing ran there (the silo is stopping or owns none of them).
            List<int>? again = null;
            for (int position = 0; position < _sentCount; position++)
            {
                int index = SentCall(position);
                if (!Claim(index, counted: true))
                {
                    continue;
                }

                if (response.Status == ResponseStatus.Retry)
                {
                    (again ??= []).Add(index);
                }
                else
                {
                    Fail(index, ResponseBody.ReadFailure(response.Status, response.Body));
                }
            }

            RouteAgain(again, "the receiving silo does not own the grain", default);
            return;
        }

        CompleteRun(response.Body);
    }

    public void OnDeliveryFailed(Exception error, bool delivered)
    {
        List<int>? again = null;
        for (int position = 0; position < _sentCount; position++)
        {
            int index = SentCall(position);
            if (!Claim(index, counted: true))
            {
                continue;
            }

            if (!delivered || Method.Idempotent)
            {
                (again ??= []).Add(index);
            }
            else
            {
                Fail(index, new SiloUnavailableException(
                    $"Silo {Silo} failed while handling {Method.FullName} on grain {_targets[index]}; the call may or may not have run. Mark the method [Idempotent] to let Pulse retry it.",
                    error));
            }
        }

        RouteAgain(again, error.Message, Silo);
    }

    public void Timeout(TimeSpan timeout)
    {
        for (int position = 0; position < _sentCount; position++)
        {
            int index = SentCall(position);
            if (Claim(index, counted: true))
            {
                Fail(index, new TimeoutException(
                    $"Response did not arrive on time in {timeout} for {Method.FullName} on grain {_targets[index]} (sent to {Silo} in a bundle of {_sentCount} calls)."));
            }
        }
    }

    /// <summary>Completes the call at <paramref name="index"/>, which its caller has claimed.</summary>
    public void Complete(int index, TResult result) => _calls![index].SetResult(result);

    /// <summary>Fails the call at <paramref name="index"/>, which its caller has claimed.</summary>
    public void Fail(int index, Exception exception) => _calls![index].SetException(exception);

    public ValueTaskSourceStatus GetStatus(short token)
    {
        // Looking (IsCompleted) sends nothing: a fan-out checks each call as it makes it.
        ManualResetValueTaskSourceCore<TResult>[]? calls = Volatile.Read(ref _calls);
        return calls is null ? ValueTaskSourceStatus.Pending : calls[token].GetStatus(calls[token].Version);
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // Waiting on a call of an unsent bundle would wait forever: send it now.
        Send();
        ref ManualResetValueTaskSourceCore<TResult> call = ref _calls![token];
        call.OnCompleted(continuation, state, call.Version, flags);
    }

    public TResult GetResult(short token)
    {
        ManualResetValueTaskSourceCore<TResult>[] calls = Volatile.Read(ref _calls)
            ?? throw new InvalidOperationException("A bundled call was read before its bundle was sent; await it instead.");
        return calls[token].GetResult(calls[token].Version);
    }

    /// <summary>
    /// Writes the calls whose arguments serialize (the others fail alone) and returns the body; null when
    /// no call is left to send or, with <paramref name="tooLarge"/>, when the calls must go one message each.
    /// </summary>
    private byte[]? WriteBody(out bool tooLarge)
    {
        PulseWriter calls = t_calls ??= new PulseWriter(4096);
        PulseWriter arguments = t_arguments ??= new PulseWriter();
        calls.Reset();
        List<int>? written = null;
        for (int index = 0; index < _count; index++)
        {
            arguments.Reset();
            try
            {
                _requests[index].WriteArguments(arguments);
            }
            catch (Exception exception)
            {
                if (written is null)
                {
                    written = new List<int>(_count);
                    for (int before = 0; before < index; before++)
                    {
                        written.Add(before);
                    }
                }

                Claim(index, counted: false);
                Fail(index, exception);
                continue;
            }

            BundleBody.WriteCall(calls, _targets[index], arguments.WrittenSpan);
            written?.Add(index);
        }

        _sentCalls = written?.ToArray();
        _sentCount = written?.Count ?? _count;
        Volatile.Write(ref _unclaimedSent, _sentCount);
        tooLarge = calls.Position > _router.MaxBundleRequestBytes;
        byte[]? body = _sentCount == 0 || tooLarge ? null : BundleBody.Join([(uint)_sentCount], calls.WrittenSpan);
        RequestBody.ReleaseIfLarge(ref t_calls);
        RequestBody.ReleaseIfLarge(ref t_arguments);
        return body;
    }

    private int SentCall(int position) => _sentCalls is null ? position : _sentCalls[position];

    /// <summary>
    /// Takes call <paramref name="index"/> for one outcome; false when another outcome took it first. A
    /// counted claim is of a call in the message: the last one removes the bundle from the table.
    /// </summary>
    private bool Claim(int index, bool counted)
    {
        if (Interlocked.Exchange(ref _claimed![index], 1) != 0)
        {
            return false;
        }

        if (counted && Interlocked.Decrement(ref _unclaimedSent) == 0)
        {
            _router.PendingCalls.Remove(CorrelationId);
        }

        return true;
    }

    /// <summary>Applies one run of outcomes; a corrupt run fails the calls it cannot vouch for.</summary>
    private void CompleteRun(ReadOnlyMemory<byte> body)
    {
        var reader = new PulseReader(body) { GrainFactory = _router.GrainFactory };
        List<int>? again = null;
        int position = 0;
        int end = _sentCount;
        try
        {
            int count = BundleBody.ReadRun(reader, _sentCount, out int first);
            end = first + count;
            for (position = first; position < end; position++)
            {
                ResponseStatus status = BundleBody.ReadOutcome(reader, out ReadOnlyMemory<byte> outcome);
                int index = SentCall(position);
                if (!Claim(index, counted: true))
                {
                    continue;
                }

                if (status == ResponseStatus.Retry)
                {
                    (again ??= []).Add(index);
                    continue;
                }

                TResult value;
                try
                {
                    value = ResponseBody.ReadResult<TResult>(status, outcome, _router.GrainFactory);
                }
                catch (Exception exception)
                {
                    Fail(index, exception);
                    continue;
                }

                Complete(index, value);
            }
        }
        catch (PulseSerializationException exception)
        {
            // Which calls the rest of the body answers cannot be known: every call still open fails.
            for (position = 0; position < _sentCount; position++)
            {
                int index = SentCall(position);
                if (Claim(index, counted: true))
                {
                    Fail(index, new PulseSerializationException(exception.Message, exception));
                }
            }
        }

        RouteAgain(again, "the receiving silo does not own the grain", default);
    }

    /// <summary>Routes claimed calls again, each on its own, after one refresh of the membership view.</summary>
    private void RouteAgain(List<int>? indices, string reason, SiloAddress unreachable)
    {
        if (indices is null)
        {
            return;
        }

        var calls = new List<(GrainId Target, GrainRequest Request)>(indices.Count);
        foreach (int index in indices)
        {
            calls.Add((_targets[index], Alone(index)));
        }

        _router.RetryMany(calls, reason, unreachable);
    }

    /// <summary>Sends a claimed call on its own, as the invoker would have.</summary>
    private void SendAlone(int index) => _router.RouteAlone(_targets[index], Alone(index));

    /// <summary>
    /// Gives call <paramref name="index"/> a completion of its own, tracked with the bundle's deadline, whose
    /// outcome (copied and completed outside any grain's turn, as for any call) lands in the call's slot.
    /// </summary>
    private GrainRequest<TResult> Alone(int index)
    {
        GrainRequest<TResult> request = _requests[index];
        var completion = new ResponseCompletion<TResult>(_router.PendingCalls, request, _targets[index], _router.PendingCalls.NextCorrelationId());
        request.Completion = completion;
        completion.BeginTracking(DeadlineTimestamp);
        _router.PendingCalls.Add(completion);
        _ = ForwardAsync(index, new ValueTask<TResult>(completion, completion.Version));
        return request;
    }

    private async Task ForwardAsync(int index, ValueTask<TResult> alone)
    {
        TResult result;
        try
        {
            result = await alone.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Fail(index, exception);
            return;
        }

        Complete(index, result);
    }
}
