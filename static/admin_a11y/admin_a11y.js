// Django's two-box filter (filter_horizontal) puts an aria-label on its search icon, a span with no
// role, where assistive technology ignores it (axe: aria-prohibited-attr). Included at the end of
// the admin's pages, this runs after the filter has drawn itself on the same load event.
window.addEventListener("load", () => {
  for (const icon of document.querySelectorAll(".search-label-icon[aria-label]:not([role])")) {
    icon.setAttribute("role", "img");
  }
});
