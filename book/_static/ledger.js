// The claims ledger's verdict filter: a button shows the rows of one verdict (or all),
// and hides a chapter's table and title when none of its rows is left.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.querySelector(".ledger-filter");
  if (!bar) return;
  const buttons = bar.querySelectorAll("button");
  buttons.forEach((button) => {
    button.addEventListener("click", () => {
      const wanted = button.dataset.verdict;
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      document.querySelectorAll("table.claims-ledger").forEach((table) => {
        let shown = 0;
        table.querySelectorAll("tbody tr").forEach((row) => {
          const show = wanted === "all" || row.classList.contains(wanted);
          row.style.display = show ? "" : "none";
          shown += show ? 1 : 0;
        });
        table.style.display = shown ? "" : "none";
        const title = table.closest(".pst-scrollable-table-container, .table-wrapper, div")
          ?.previousElementSibling;
        const heading = title && title.classList.contains("ledger-chapter") ? title
          : table.previousElementSibling;
        if (heading && heading.classList.contains("ledger-chapter")) {
          heading.style.display = shown ? "" : "none";
        }
      });
    });
  });
});
