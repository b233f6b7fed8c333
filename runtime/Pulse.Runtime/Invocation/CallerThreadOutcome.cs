using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Invocation;

/// <summary>
/// Receives the outcome of a call run on its caller's thread. Most such calls are answered before the
/// turn returns control to the caller, and then need no <see cref="ResponseCompletion{TResult}"/>: no
/// correlation id, no deadline, nothing to await. One instance per thread and result type is reused for
/// those. A call still running when its turn yields is handed a real completion, which the outcome
/// forwards to from then on; that instance is never reused.
/// </summary>
/// <typeparam name="TResult">The result type.</typeparam>
internal sealed class CallerThreadOutcome<TResult> : IResponseCompletion<TResult>
{
    private const int Waiting = 0;
    private const int Answered = 1;
    private const int HandedOff = 2;

    [ThreadStatic]
    private static CallerThreadOutcome<TResult>? t_cached;

    private int _state;
    private TResult? _result;
    private Exception? _exception;
    private IResponseCompletion<TResult>? _handedTo;

    /// <summary>The calling thread's instance, or a new one while that is in use.</summary>
    public static CallerThreadOutcome<TResult> Rent()
    {
        CallerThreadOutcome<TResult>? outcome = t_cached;
        if (outcome is null)
        {
            return new CallerThreadOutcome<TResult>();
        }

        t_cached = null;
        return outcome;
    }

    /// <summary>Gives back an instance whose call never started or whose answer was taken.</summary>
    public void Return()
    {
        _state = Waiting;
        _result = default;
        _exception = null;
        t_cached = this;
    }

    /// <summary>Takes the answer if the call has one already; the caller then calls <see cref="Return"/>.</summary>
    public bool TryTake(out ValueTask<TResult> answer)
    {
        if (Volatile.Read(ref _state) != Answered)
        {
            answer = default;
            return false;
        }

        answer = _exception is null ? new ValueTask<TResult>(_result!) : ValueTask.FromException<TResult>(_exception);
        return true;
    }

    /// <summary>
    /// For a call still running: from now on its outcome goes to <paramref name="completion"/>. Returns
    /// false when the answer arrived meanwhile (take it with <see cref="TryTake"/>).
    /// </summary>
    public bool TryHandOff(IResponseCompletion<TResult> completion)
    {
        _handedTo = completion;

        // The exchange publishes _handedTo to a SetResult on another thread that then sees HandedOff.
        return Interlocked.CompareExchange(ref _state, HandedOff, Waiting) == Waiting;
    }

    public void SetResult(TResult result)
    {
        if (Volatile.Read(ref _state) == HandedOff)
        {
            _handedTo!.SetResult(result);
            return;
        }

        TResult copy;
        try
        {
            // As ResponseCompletion does: the caller never shares a mutable result with the grain.
            copy = Copier<TResult>.Copy(result);
        }
        catch (Exception exception)
        {
            SetException(exception);
            return;
        }

        _result = copy;
        if (Interlocked.CompareExchange(ref _state, Answered, Waiting) != Waiting)
        {
            _handedTo!.SetResult(result);
        }
    }

    public void SetException(Exception exception)
    {
        if (Volatile.Read(ref _state) == HandedOff)
        {
            _handedTo!.SetException(exception);
            return;
        }

        _exception = exception;
        if (Interlocked.CompareExchange(ref _state, Answered, Waiting) != Waiting)
        {
            _handedTo!.SetException(exception);
        }
    }
}
