// The letter page's "Print the letter" button (no inline script: the CSP allows scripts from 'self').
document.getElementById("print-letter")?.addEventListener("click", () => window.print());
