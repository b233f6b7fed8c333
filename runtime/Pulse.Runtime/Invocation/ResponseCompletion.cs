using System.Threading.Tasks.Sources;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Invocation;

/// <summary>A call the runtime waits on: it can be timed out or cancelled by the runtime.</summary>
internal interface IPendingCall
{
    long CorrelationId { get; }

    long DeadlineTimestamp { get; }

    void Timeout(TimeSpan timeout);
}

/// <summary>
/// The caller's side of one local call: a <see cref="IValueTaskSource{TResult}"/> that the callee's
/// request completes exactly once with a result, an exception, a timeout or a cancellation.
/// </summary>
/// <remarks>
/// Instances are not pooled on purpose: a request can outlive its caller's interest (timeout,
/// cancellation) and complete later, and a recycled instance would then receive a stranger's result.
/// Results are deep-copied before they reach the caller, so caller and grain never share mutable objects.
/// </remarks>
internal sealed class ResponseCompletion<TResult> : IValueTaskSource<TResult>, IValueTaskSource, IResponseCompletion<TResult>, IPendingCall
{
    private ManualResetValueTaskSourceCore<TResult> _core;
    private readonly PendingCallTable _table;
    private readonly GrainRequest _request;
    private readonly GrainId _target;
    private CancellationTokenRegistration _cancellation;
    private int _completed;

    // Set before the call enters the pending-call table. Most local calls are answered on the caller's
    // thread and never enter it, so they skip its lock on completion.
    private int _tracked;

    public ResponseCompletion(PendingCallTable table, GrainRequest request, GrainId target, long correlationId)
    {
        _table = table;
        _request = request;
        _target = target;
        CorrelationId = correlationId;
    }

    public long CorrelationId { get; }

    /// <summary>When the runtime times the call out; set by <see cref="BeginTracking"/>.</summary>
    public long DeadlineTimestamp { get; private set; }

    public short Version => _core.Version;

    /// <summary>Whether a result, exception, timeout or cancellation has been taken.</summary>
    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>
    /// Sets the deadline and marks the call as one the pending-call table holds; call before adding it
    /// there, and before anything (a remote call) reads the deadline.
    /// </summary>
    public void BeginTracking(long deadlineTimestamp)
    {
        DeadlineTimestamp = deadlineTimestamp;
        Volatile.Write(ref _tracked, 1);
    }

    /// <summary>Links the caller's token: cancelling it fails the call at once.</summary>
    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((ResponseCompletion<TResult>)state!).Cancel(token), this);
        }
    }

    public void SetResult(TResult result)
    {
        if (!TryMarkCompleted())
        {
            return;
        }

        TResult copy;
        try
        {
            copy = Copier<TResult>.Copy(result);
        }
        catch (Exception exception)
        {
            CompleteWithException(exception);
            return;
        }

        ContextFreeCompletion.Run(static (self, value) => self._core.SetResult(value), this, copy);
    }

    public void SetException(Exception exception)
    {
        if (TryMarkCompleted())
        {
            CompleteWithException(exception);
        }
    }

    public void Timeout(TimeSpan timeout)
    {
        if (TryMarkCompleted())
        {
            CompleteWithException(new TimeoutException(
                $"Response did not arrive on time in {timeout} for {_request.Method.FullName} on grain {_target} (call {CorrelationId})."));
        }
    }

    private void Cancel(CancellationToken token)
    {
        if (TryMarkCompleted())
        {
            CompleteWithException(new OperationCanceledException(
                $"The call {_request.Method.FullName} on grain {_target} was cancelled by the caller.", token));
        }
    }

    private bool TryMarkCompleted()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        // Paired with the tracker, which marks the call, adds it and then reads IsCompleted: whichever
        // runs second sees the other's write, so an entry is never left behind.
        if (Volatile.Read(ref _tracked) != 0)
        {
            _table.Remove(CorrelationId);
        }

        _cancellation.Unregister();
        return true;
    }

    private void CompleteWithException(Exception exception) =>
        ContextFreeCompletion.Run(static (self, error) => self._core.SetException(error), this, exception);

    public TResult GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// Completes a caller's task outside the callee's turn context. A caller without a synchronization
/// context (a request thread, a test) continues inline; without this it would continue with the
/// callee activation as its context and queue its own continuations into the callee's turns.
/// </summary>
internal static class ContextFreeCompletion
{
    public static void Run<TSelf, TArg>(Action<TSelf, TArg> complete, TSelf self, TArg arg)
    {
        SynchronizationContext? previousContext = SynchronizationContext.Current;
        IGrainContext? previousGrain = RuntimeContext.Current;
        if (previousContext is null && previousGrain is null)
        {
            complete(self, arg);
            return;
        }

        SynchronizationContext.SetSynchronizationContext(null);
        RuntimeContext.Set(null);
        try
        {
            complete(self, arg);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            RuntimeContext.Set(previousGrain);
        }
    }
}
