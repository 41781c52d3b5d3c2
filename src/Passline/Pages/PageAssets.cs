
namespace Passline.Pages;

/// <summary>
/// The pages' scripts and stylesheet (<c>wwwroot/</c>), served by <c>MapStaticAssets</c> under fingerprinted names
/// (<c>pages.{hash}.css</c>) with a year's <c>Cache-Control: immutable</c>, compressed, with ETags; the pages themselves stay
/// <c>no-store</c>. Maps each file to its fingerprinted URL.
/// </summary>
public sealed class PageAssets
{
    private Dictionary<string, string> urls = new(StringComparer.Ordinal);

    /// <summary>The fingerprinted URL (from the root) of <paramref name="path"/> under wwwroot.</summary>
    public string Url(string path) => urls.TryGetValue(path, out var url) ? url : "/" + path;

    internal void Load(IEnumerable<Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor> descriptors) =>
        urls = descriptors
            .Where(d => d.Properties.Any(p => p.Name == "fingerprint") && d.Selectors.Count == 0)
            .Select(d => (Label: d.Properties.FirstOrDefault(p => p.Name == "label")?.Value, d.Route))
            .Where(d => d.Label is not null)
            .GroupBy(d => d.Label!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => "/" + g.First().Route, StringComparer.Ordinal);
}
