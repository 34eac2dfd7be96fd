import GrowdaConsole

/// The desk's page and its script: upload, results with the Grad-CAM overlay, the node's state.
enum DeskView {
    static func page(title: String, nodeName: String) -> String {
        let body = """
            <div class="desk">
            <section class="card">
            <h2>Diagnose</h2>
            <div class="drop" id="drop">
            <p><label for="files" class="button">Choose images</label> or drop them here: chest X-rays as PNG or \
            DICOM (.dcm), one or many.</p>
            <input id="files" type="file" multiple accept=".png,.dcm,image/png,application/dicom" hidden>
            <p class="muted">Images are diagnosed on this hospital's server with the node's global model and \
            are not kept: nothing is stored or sent to the aggregator unless you download a result.</p>
            </div>
            <div class="controls">
            <label><input type="checkbox" id="show-map" checked> Show heat map</label>
            <label>Opacity <input type="range" id="opacity" min="0" max="100" value="50"></label>
            </div>
            <div id="results"></div>
            </section>
            <section class="card">
            <h2>This node</h2>
            <div id="node"><p class="muted">Reading the node's state…</p></div>
            </section>
            </div>
            """
        return ConsolePage.render(
            title: title, heading: "Diagnosis desk · \(nodeName)", body: body, scripts: ["desk.js"])
    }

    /// Uploads each file to /api/v1/explain and shows the answer; polls /api/v1/status for the node panel.
    static let script = """
        "use strict";
        (function () {
          var results = document.getElementById("results");
          var showMap = document.getElementById("show-map");
          var opacity = document.getElementById("opacity");
          function el(tag, className, text) {
            var e = document.createElement(tag);
            if (className) { e.className = className; }
            if (text !== undefined) { e.textContent = text; }
            return e;
          }
          function applyOverlay() {
            var value = String(Number(opacity.value) / 100);
            document.querySelectorAll("img.overlay").forEach(function (img) {
              img.hidden = !showMap.checked;
              img.style.opacity = value;
            });
          }
          showMap.addEventListener("change", applyOverlay);
          opacity.addEventListener("input", applyOverlay);
          function render(card, file, answer) {
            card.textContent = "";
            var head = el("h3", "", file.name);
            card.appendChild(head);
            var result = el("div", "result");
            var viewer = el("div", "viewer");
            var scan = el("img", "scan");
            scan.alt = "the uploaded image";
            scan.src = answer.image_png ? "data:image/png;base64," + answer.image_png : URL.createObjectURL(file);
            var heat = el("img", "overlay");
            heat.alt = "Grad-CAM heat map of " + answer.target_class;
            heat.src = "data:image/png;base64," + answer.heatmap_png;
            viewer.appendChild(scan);
            viewer.appendChild(heat);
            result.appendChild(viewer);
            var facts = el("div", "facts");
            facts.appendChild(el("div", "decision", answer.decision));
            var threshold = answer.threshold === null ? "most probable class" :
              "decision threshold " + answer.threshold.toFixed(3) + " on p(" + answer.classes[1] + ")";
            facts.appendChild(el("p", "muted", threshold));
            answer.classes.forEach(function (name, i) {
              var row = el("div", "prob");
              row.appendChild(el("span", "", name));
              var bar = el("div", "bar");
              var fill = el("span");
              fill.style.width = (answer.probabilities[i] * 100).toFixed(1) + "%";
              bar.appendChild(fill);
              row.appendChild(bar);
              row.appendChild(el("span", "num", (answer.probabilities[i] * 100).toFixed(1) + "%"));
              facts.appendChild(row);
            });
            facts.appendChild(el("p", "muted", "Heat map: regions that drove “" + answer.target_class +
              "” (Grad-CAM, last convolution layer)."));
            var version = answer.model_version === null ? "unknown version" : "global version " + answer.model_version;
            facts.appendChild(el("p", "muted", answer.milliseconds.toFixed(1) + " ms in the model · " + version +
              " · " + answer.image.format.toUpperCase() + " " + answer.image.width + "×" + answer.image.height));
            var save = el("button", "secondary", "Download overlay");
            save.type = "button";
            save.addEventListener("click", function () { download(scan, heat, file.name); });
            facts.appendChild(save);
            result.appendChild(facts);
            card.appendChild(result);
            applyOverlay();
          }
          function download(scan, heat, name) {
            var canvas = document.createElement("canvas");
            canvas.width = scan.naturalWidth;
            canvas.height = scan.naturalHeight;
            var context = canvas.getContext("2d");
            context.drawImage(scan, 0, 0);
            if (showMap.checked) {
              context.globalAlpha = Number(opacity.value) / 100;
              context.drawImage(heat, 0, 0, canvas.width, canvas.height);
            }
            var link = document.createElement("a");
            link.href = canvas.toDataURL("image/png");
            link.download = name.replace(/\\.[^.]*$/, "") + "-gradcam.png";
            link.click();
          }
          function diagnose(file) {
            var card = el("article", "card result-card");
            card.appendChild(el("h3", "", file.name));
            card.appendChild(el("p", "muted", "diagnosing…"));
            results.insertBefore(card, results.firstChild);
            var type = file.name.toLowerCase().endsWith(".dcm") ? "application/dicom" :
              (file.type === "image/png" ? "image/png" : "application/octet-stream");
            // A browser shows a PNG it holds; a DICOM it cannot, so the desk sends that one back as PNG.
            var isPNG = type === "image/png" || file.name.toLowerCase().endsWith(".png");
            fetch("/api/v1/explain" + (isPNG ? "?image=false" : ""), {
              method: "POST", body: file, credentials: "same-origin",
              headers: { "Content-Type": type, "X-Growda-Filename": encodeURIComponent(file.name) }
            }).then(function (response) {
              return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
            }).then(function (reply) {
              if (reply.ok) { render(card, file, reply.body); return; }
              card.textContent = "";
              card.appendChild(el("h3", "", file.name));
              var message = reply.body && reply.body.error ? reply.body.error.message : "HTTP " + reply.status;
              card.appendChild(el("p", "problem", message));
              if (reply.status === 401) { window.location = "/login?next=/"; }
            }).catch(function (error) {
              card.appendChild(el("p", "problem", "could not reach the desk: " + error));
            });
          }
          function take(list) { Array.prototype.forEach.call(list, diagnose); }
          document.getElementById("files").addEventListener("change", function (event) {
            take(event.target.files);
            event.target.value = "";
          });
          var drop = document.getElementById("drop");
          drop.addEventListener("dragover", function (event) { event.preventDefault(); drop.classList.add("over"); });
          drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
          drop.addEventListener("drop", function (event) {
            event.preventDefault();
            drop.classList.remove("over");
            take(event.dataTransfer.files);
          });
          function figure(label, value) {
            var f = el("div", "figure");
            f.appendChild(el("div", "value", value));
            f.appendChild(el("div", "label", label));
            return f;
          }
          function showNode() {
            fetch("/api/v1/status", { credentials: "same-origin" }).then(function (response) {
              if (response.status === 401) { window.location = "/login?next=/"; return null; }
              return response.json();
            }).then(function (reply) {
              if (!reply) { return; }
              var panel = document.getElementById("node");
              panel.textContent = "";
              if (!reply.node) {
                panel.appendChild(el("p", "muted", reply.error ? reply.error.message : "no status yet"));
                return;
              }
              var n = reply.node;
              var figures = el("div", "figures");
              figures.appendChild(figure("global version held", n.model_version === null ? "none" : "v" + n.model_version));
              figures.appendChild(figure("updates waiting (outbox)", String(n.outbox)));
              figures.appendChild(figure("acknowledged", String(n.acknowledged)));
              figures.appendChild(figure("aggregator contact", n.contact));
              panel.appendChild(figures);
              if (n.message) { panel.appendChild(el("p", n.contact === "ok" ? "muted" : "problem", n.message)); }
              var t = n.last_training;
              if (t) {
                panel.appendChild(el("h2", "next", "Last local training (from v" + t.base_version + ")"));
                var table = el("table");
                Object.keys(t).sort().forEach(function (key) {
                  if (key === "base_version") { return; }
                  var row = el("tr");
                  row.appendChild(el("td", "", key.replace(/_/g, " ")));
                  row.appendChild(el("td", "num", Number.isInteger(t[key]) ? String(t[key]) : t[key].toFixed(4)));
                  table.appendChild(row);
                });
                panel.appendChild(table);
              } else {
                panel.appendChild(el("p", "muted", "No local training round since the node started."));
              }
              var p = n.privacy;
              if (p) {
                panel.appendChild(el("h2", "next", "Privacy spent"));
                var spent = el("div", "figures");
                spent.appendChild(figure("ε at δ = " + p.delta, p.epsilon == null ? "unbounded" : p.epsilon.toFixed(2)));
                spent.appendChild(figure("budget", p.max_epsilon == null ? "none" : "ε ≤ " + p.max_epsilon));
                spent.appendChild(figure("updates counted", String(p.updates)));
                panel.appendChild(spent);
                var rule = [];
                if (p.dp_clip != null) { rule.push("DP-SGD: clip " + p.dp_clip + ", noise σ " + p.dp_noise); }
                if (p.update_clip != null) { rule.push("update clip " + p.update_clip + ", noise z " + p.update_noise); }
                panel.appendChild(el("p", "muted", rule.length ? rule.join(" · ") : "No noise in the current policy."));
                if (p.budget_spent) {
                  panel.appendChild(el("p", "problem", "The privacy budget is spent: this hospital trains no more. Diagnosis goes on with the model it holds."));
                }
              }
            }).catch(function () {});
          }
          showNode();
          setInterval(showNode, 5000);
        })();
        """
}
