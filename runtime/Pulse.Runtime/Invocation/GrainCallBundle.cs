using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Invocation;

/// <summary>
/// While open, sends the grain calls this thread makes together: calls of one method whose grains live
/// on the same other silo travel as one message and come back as one answer, instead of a message each.
/// Open one around a loop that fans out many calls and await the calls after it ends:
/// <code>
/// using (GrainCallBundle.Begin())
/// {
///     for (int i = 0; i &lt; keys.Length; i++) calls[i] = factory.GetGrain&lt;ILimiter&gt;(keys[i]).CheckAsync(check);
/// }
/// for (int i = 0; i &lt; keys.Length; i++) results[i] = await calls[i];
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// Only calls of methods that return <see cref="ValueTask{TResult}"/> are bundled. Calls whose grain is
/// on this silo, one-way calls and calls with a cancellable token are made as usual. A bundled call's
/// task completes when its bundle's answer arrives; awaiting one before the scope ends (a blocking wait)
/// sends its bundle at once. Each call keeps its own outcome: a grain that throws fails its call only,
/// a call whose grain moved is routed again alone, and when a silo dies each call is retried (idempotent
/// methods) or failed as it would be on its own. A bundle's calls share one response timeout.
/// </para>
/// <para>
/// A ref struct, so the compiler refuses an <c>await</c> inside the scope: the scope belongs to the
/// thread that began it, and an <c>await</c> would leave it open there for whatever that thread runs next.
/// <c>default</c> is a scope that bundles nothing. Always end it with <c>using</c>; calls collected by a
/// scope that is never disposed are sent only when awaited.
/// </para>
/// </remarks>
public readonly ref struct GrainCallBundle
{
    private readonly GrainCallBundleScope? _scope;

    private GrainCallBundle(GrainCallBundleScope scope) => _scope = scope;

    /// <summary>Opens a bundle on this thread; dispose it to send what it collected.</summary>
    public static GrainCallBundle Begin() => new(GrainCallBundleScope.Begin());

    /// <summary>Sends every part still collecting and closes the scope.</summary>
    public void Dispose() => _scope?.End();
}

/// <summary>The state of an open <see cref="GrainCallBundle"/>: the parts it collects, per silo and method.</summary>
internal sealed class GrainCallBundleScope
{
    [ThreadStatic]
    private static GrainCallBundleScope? t_current;

    private readonly GrainCallBundleScope? _outer;
    private List<GrainCallBundlePart>? _parts;
    private bool _ended;

    private GrainCallBundleScope(GrainCallBundleScope? outer) => _outer = outer;

    /// <summary>The scope open on this thread, if any.</summary>
    public static GrainCallBundleScope? Current => t_current;

    public static GrainCallBundleScope Begin()
    {
        var scope = new GrainCallBundleScope(t_current);
        t_current = scope;
        return scope;
    }

    /// <summary>
    /// The part of <paramref name="sender"/> collecting calls of <paramref name="method"/> for
    /// <paramref name="silo"/>, if one is still open. The sender matters when one process hosts several
    /// nodes (tests): each sends over its own connections.
    /// </summary>
    public GrainCallBundlePart? FindOpenPart(object sender, SiloAddress silo, GrainMethodDescriptor method)
    {
        // A fan-out reaches a few silos with one or two methods: a scan beats hashing.
        if (_parts is null)
        {
            return null;
        }

        for (int i = _parts.Count - 1; i >= 0; i--)
        {
            GrainCallBundlePart part = _parts[i];
            if (part.Silo == silo && ReferenceEquals(part.Method, method) && ReferenceEquals(part.Sender, sender))
            {
                return part.IsOpen ? part : null;
            }
        }

        return null;
    }

    public void AddPart(GrainCallBundlePart part) => (_parts ??= []).Add(part);

    public void End()
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        if (t_current == this)
        {
            t_current = _outer;
        }

        if (_parts is null)
        {
            return;
        }

        foreach (GrainCallBundlePart part in _parts)
        {
            part.Send();
        }
    }
}

/// <summary>The calls of one bundle that go to one silo as one message.</summary>
internal abstract class GrainCallBundlePart(object sender, SiloAddress silo, GrainMethodDescriptor method)
{
    /// <summary>The node (its router) that sends the part.</summary>
    public object Sender { get; } = sender;

    /// <summary>Where the part goes.</summary>
    public SiloAddress Silo { get; } = silo;

    /// <summary>The method every call of the part calls.</summary>
    public GrainMethodDescriptor Method { get; } = method;

    /// <summary>Whether calls may still be added: not sent and not full.</summary>
    public abstract bool IsOpen { get; }

    /// <summary>Sends the part unless it was already sent; never throws (failures complete its calls).</summary>
    public abstract void Send();
}
