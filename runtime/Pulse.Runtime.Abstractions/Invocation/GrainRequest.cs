using System.Runtime.CompilerServices;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Invocation;

/// <summary>The result type of grain methods that return no value.</summary>
public readonly struct NoResult
{
}

/// <summary>Receives the outcome of one grain request: a result or an exception, exactly once.</summary>
/// <typeparam name="TResult">The result type.</typeparam>
public interface IResponseCompletion<in TResult>
{
    /// <summary>Completes with a result.</summary>
    void SetResult(TResult result);

    /// <summary>Completes with an exception thrown by the grain or the runtime.</summary>
    void SetException(Exception exception);
}

/// <summary>Creates a completion of the request's own result type (used where the type is known only to the request).</summary>
public interface IResponseCompletionFactory
{
    /// <summary>Creates the completion for <paramref name="request"/>.</summary>
    IResponseCompletion<TResult> Create<TResult>(GrainRequest<TResult> request);
}

/// <summary>Receives a request typed by its result type.</summary>
/// <typeparam name="TOut">What the visit returns.</typeparam>
/// <typeparam name="TState">State passed through without a closure.</typeparam>
public interface IGrainRequestVisitor<out TOut, in TState>
{
    /// <summary>Visits <paramref name="request"/>.</summary>
    TOut Visit<TResult>(GrainRequest<TResult> request, TState state);
}

/// <summary>
/// One call of a grain interface method with its arguments. The source generator emits a sealed
/// subclass per method holding the arguments as fields, so the call path has neither reflection nor
/// <c>object[]</c> boxing. The runtime treats the request as the message body.
/// </summary>
public abstract class GrainRequest
{
    /// <summary>The method this request calls.</summary>
    public abstract GrainMethodDescriptor Method { get; }

    /// <summary>
    /// The caller's cancellation token, passed to the method's <see cref="CancellationToken"/>
    /// parameter if it has one. It is not serialized; the runtime forwards cancellation itself.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Whether the caller is outside any grain turn in this process (a gateway request, a hosted
    /// service), so an idle target activation on this silo may run the request on the caller's thread
    /// instead of handing it to the thread pool. Not serialized: requests from the network never are.
    /// </summary>
    public bool MayRunOnCallerThread { get; set; }

    /// <summary>Writes the arguments as fields 0..n-1.</summary>
    public abstract void WriteArguments(PulseWriter writer);

    /// <summary>Reads arguments written by <see cref="WriteArguments"/> until the end of input.</summary>
    public abstract void ReadArguments(PulseReader reader);

    /// <summary>Replaces each mutable argument with a deep copy, so caller and callee share no mutable objects.</summary>
    public abstract void CopyArguments();

    /// <summary>
    /// Runs the method on <paramref name="grain"/> and completes the request's completion with the
    /// result or exception. Never throws.
    /// </summary>
    public abstract ValueTask InvokeAsync(object grain);

    /// <summary>Completes the request with an exception without running it (activation failed, timeout, shutdown).</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Creates and attaches a completion of this request's result type.</summary>
    public abstract void AttachCompletion(IResponseCompletionFactory factory);

    /// <summary>Calls <paramref name="visitor"/> with this request's result type (routing code forwards requests this way without reflection).</summary>
    public abstract TOut Accept<TOut, TState>(IGrainRequestVisitor<TOut, TState> visitor, TState state);

    public override string ToString() => Method.FullName;
}

/// <summary>A request whose method produces <typeparamref name="TResult"/> (<see cref="NoResult"/> for none).</summary>
/// <typeparam name="TResult">The result type.</typeparam>
public abstract class GrainRequest<TResult> : GrainRequest
{
    /// <summary>Where the outcome goes; set by the runtime before the request is enqueued.</summary>
    public IResponseCompletion<TResult>? Completion { get; set; }

    /// <summary>Calls the grain method (generated).</summary>
    protected abstract ValueTask<TResult> InvokeCoreAsync(object grain);

    /// <inheritdoc />
    public sealed override ValueTask InvokeAsync(object grain)
    {
        ValueTask<TResult> pending;
        try
        {
            pending = InvokeCoreAsync(grain);
        }
        catch (Exception exception)
        {
            Completion?.SetException(exception);
            return default;
        }

        if (pending.IsCompletedSuccessfully)
        {
            Completion?.SetResult(pending.Result);
            return default;
        }

        return AwaitAsync(pending);
    }

    /// <inheritdoc />
    public sealed override void Fail(Exception exception) => Completion?.SetException(exception);

    /// <inheritdoc />
    public sealed override void AttachCompletion(IResponseCompletionFactory factory) => Completion = factory.Create(this);

    /// <inheritdoc />
    public sealed override TOut Accept<TOut, TState>(IGrainRequestVisitor<TOut, TState> visitor, TState state) => visitor.Visit(this, state);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitAsync(ValueTask<TResult> pending)
    {
        TResult result;
        try
        {
            result = await pending;
        }
        catch (Exception exception)
        {
            Completion?.SetException(exception);
            return;
        }

        Completion?.SetResult(result);
    }
}

/// <summary>Adapters the generated code uses to give every method a <see cref="ValueTask{TResult}"/> shape.</summary>
public static class InvocationHelpers
{
    /// <summary>Adapts a <see cref="Task"/> to <see cref="ValueTask{NoResult}"/>.</summary>
    public static ValueTask<NoResult> AsNoResult(Task task)
    {
        if (task.IsCompletedSuccessfully)
        {
            return default;
        }

        return AwaitTask(task);

        static async ValueTask<NoResult> AwaitTask(Task task)
        {
            await task;
            return default;
        }
    }

    /// <summary>Adapts a <see cref="ValueTask"/> to <see cref="ValueTask{NoResult}"/>.</summary>
    public static ValueTask<NoResult> AsNoResult(ValueTask task)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.GetAwaiter().GetResult();
            return default;
        }

        return AwaitValueTask(task);

        static async ValueTask<NoResult> AwaitValueTask(ValueTask task)
        {
            await task;
            return default;
        }
    }
}
