namespace Pulse.Gateway.Api.Pagination;

/// <summary>One page of a list: <c>{ "items": [...], "nextCursor": "..." | null }</c>.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items of this page.</param>
/// <param name="NextCursor">Pass as <c>?cursor=</c> for the next page; null on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
