// The request form: show the ward field only for tools given for one ward.
(function () {
  "use strict";
  var tool = document.getElementById("id_tool");
  var ward = document.getElementById("id_ward");
  if (!tool || !ward) { return; }
  var wardLevel = JSON.parse(document.getElementById("ward-level-tools").textContent);
  function update() {
    var show = wardLevel.indexOf(Number(tool.value)) !== -1;
    ward.closest(".field").hidden = !show;
  }
  tool.addEventListener("change", update);
  update();
})();
