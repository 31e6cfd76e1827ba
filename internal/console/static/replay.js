// The rules editor's replay: while it runs, ask for its progress and move
// the bar; when it ends, load the page again to show what it found.
// Without scripts the page has a link to look again.
(function () {
  var bar = document.getElementById('replay-progress');
  var count = document.getElementById('replay-count');
  if (!bar) return;
  var url = bar.getAttribute('data-poll');
  function tick() {
    fetch(url, {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (j) {
        if (j.state !== 'waiting' && j.state !== 'running') { location.reload(); return; }
        bar.max = Math.max(j.total, 1);
        bar.value = j.judged;
        if (count) {
          count.textContent = j.state === 'waiting' ? count.getAttribute('data-waiting')
            : !j.total ? count.getAttribute('data-reading')
            : count.getAttribute('data-format').replace('%d', j.judged).replace('%d', j.total);
        }
        setTimeout(tick, 500);
      })
      .catch(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 300);
})();
