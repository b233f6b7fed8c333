using Pulse.Runtime.Invocation;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Routing;

/// <summary>
/// The receiving side of a <see cref="MessageKind.BundleRequest"/>: keeps the outcome of each call and
/// answers on the connection the bundle came on, in responses of about
/// <see cref="BundleBody.ResponseChunkBytes"/> of outcomes each (less when frames are smaller).
/// </summary>
/// <remarks>
/// <para>
/// Each result is serialized when its call completes, as a single call's is: a grain may change the
/// object it returned in a later turn, and the caller must see it as it was returned.
/// </para>
/// <para>
/// The answer goes when the last call completes. So that one slow call does not make the caller time out
/// the others, the calls finished by half the bundle's time to live are answered then.
/// </para>
/// </remarks>
internal sealed class InboundBundle
{
    [ThreadStatic]
    private static PulseWriter? t_outcomes;

    private readonly IReplyChannel _origin;
    private readonly long _correlationId;
    private readonly ResponseStatus[] _statuses;
    private readonly byte[]?[] _outcomes;
    private readonly bool[] _settled;
    private readonly int _chunkBytes;
    private int _remaining;

    // Guarded by the lock on this bundle.
    private readonly bool[] _answered;
    private Message? _request;
    private ITimer? _earlyAnswer;

    public InboundBundle(IReplyChannel origin, Message request, int count, int chunkBytes)
    {
        _chunkBytes = chunkBytes;
        _origin = origin;
        _request = request;
        _correlationId = request.CorrelationId;
        _statuses = new ResponseStatus[count];
        _outcomes = new byte[]?[count];
        _settled = new bool[count];
        _answered = new bool[count];
        _remaining = count;
    }

    /// <summary>Gives <paramref name="request"/> the completion that reports to call <paramref name="index"/>.</summary>
    public void Attach(GrainRequest request, int index) => request.Accept(Attacher.Instance, new Slot(this, index));

    /// <summary>Call <paramref name="index"/> did not run: this silo does not own its grain.</summary>
    public void NotOwned(int index) => Settle(index, ResponseStatus.Retry, null);

    /// <summary>Call <paramref name="index"/> failed before or while it ran.</summary>
    public void Fail(int index, Exception exception) => Settle(index, ResponseStatus.Exception, ResponseBody.SerializeException(exception));

    /// <summary>
    /// After every call was handed over: unless all are answered already, answers the finished ones at
    /// half of <paramref name="timeToLive"/> (none when there is no time to live).
    /// </summary>
    public void AnswerFinishedEarly(TimeSpan timeToLive, TimeProvider time)
    {
        if (timeToLive <= TimeSpan.Zero)
        {
            return;
        }

        lock (this)
        {
            if (Volatile.Read(ref _remaining) > 0)
            {
                _earlyAnswer = time.CreateTimer(static state => ((InboundBundle)state!).AnswerFinished(), this, timeToLive / 2, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Complete<TResult>(int index, TResult result)
    {
        byte[] outcome;
        try
        {
            outcome = ResponseBody.SerializeResult(result);
        }
        catch (Exception exception)
        {
            Fail(index, exception);
            return;
        }

        Settle(index, ResponseStatus.Ok, outcome);
    }

    private void Settle(int index, ResponseStatus status, byte[]? outcome)
    {
        _statuses[index] = status;
        _outcomes[index] = outcome;
        Volatile.Write(ref _settled[index], true);

        // The last call's decrement is a full fence: every other call's writes are visible to the thread that answers.
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            lock (this)
            {
                _earlyAnswer?.Dispose();
                Answer(final: true);
            }
        }
    }

    private void AnswerFinished()
    {
        lock (this)
        {
            // A call still running is answered last, by the final answer, which so always has something to say.
            if (Volatile.Read(ref _remaining) > 0)
            {
                Answer(final: false);
            }
        }
    }

    /// <summary>Sends the settled calls not answered yet, in runs of consecutive calls; the final answer sends the rest.</summary>
    private void Answer(bool final)
    {
        PulseWriter writer = t_outcomes ??= new PulseWriter(4096);
        writer.Reset();
        Message? pending = null;
        int first = -1;
        for (int i = 0; i < _statuses.Length; i++)
        {
            bool take = !_answered[i] && (final || Volatile.Read(ref _settled[i]));
            bool breaks = first >= 0 && (!take || writer.Position + (_outcomes[i]?.Length ?? 0) > _chunkBytes);
            if (breaks)
            {
                Send(ref pending, Run(first, i - first, writer));
                writer.Reset();
                first = -1;
            }

            if (take)
            {
                first = first < 0 ? i : first;
                BundleBody.WriteOutcome(writer, _statuses[i], _outcomes[i]);
                _answered[i] = true;
                _outcomes[i] = null;
            }
        }

        if (first >= 0)
        {
            Send(ref pending, Run(first, _statuses.Length - first, writer));
        }

        if (pending is not null)
        {
            pending.Partial = !final;
            _origin.Reply(pending);
        }

        RequestBody.ReleaseIfLarge(ref t_outcomes);
    }

    private Message Run(int first, int count, PulseWriter outcomes)
    {
        byte[] body = BundleBody.Join([(uint)first, (uint)count], outcomes.WrittenSpan);

        // The request message becomes the first response, as for a single call; later runs get their own.
        Message? request = _request;
        _request = null;
        return request is not null
            ? RemoteResponder<NoResult>.ToResponse(request, ResponseStatus.Ok, body)
            : new Message { Kind = MessageKind.Response, CorrelationId = _correlationId, Status = ResponseStatus.Ok, Body = body };
    }

    /// <summary>Replies with the run held back before, as partial (another follows); holds <paramref name="next"/>.</summary>
    private void Send(ref Message? held, Message next)
    {
        if (held is not null)
        {
            held.Partial = true;
            _origin.Reply(held);
        }

        held = next;
    }

    private readonly record struct Slot(InboundBundle Bundle, int Index);

    private sealed class Attacher : IGrainRequestVisitor<bool, Slot>
    {
        public static readonly Attacher Instance = new();

        public bool Visit<TResult>(GrainRequest<TResult> request, Slot slot)
        {
            request.Completion = new CallResponder<TResult>(slot.Bundle, slot.Index);
            return true;
        }
    }

    /// <summary>Reports one call's outcome to the bundle, once.</summary>
    private sealed class CallResponder<TResult>(InboundBundle bundle, int index) : IResponseCompletion<TResult>
    {
        private int _answered;

        public void SetResult(TResult result)
        {
            if (Interlocked.Exchange(ref _answered, 1) == 0)
            {
                bundle.Complete(index, result);
            }
        }

        public void SetException(Exception exception)
        {
            if (Interlocked.Exchange(ref _answered, 1) == 0)
            {
                bundle.Fail(index, exception);
            }
        }
    }
}
