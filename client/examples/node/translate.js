#!/usr/bin/env node
// Translates an Arabic article with a tarjama server and prints its sentence pairs.
//
//   node translate.js [FILE|-] [--server HOST:PORT] [--glossary NAME]... [--help]
//
// FILE defaults to the repository's seed article ("-" reads standard input); the server to
// $TARJAMA_SERVER or localhost:50051. The client is built at run time from proto/tarjama/v1/translator.proto
// with @grpc/proto-loader: no generated code to keep in step with the contract.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const REPOSITORY = path.resolve(__dirname, "..", "..", "..");
const PROTO_ROOT = path.join(REPOSITORY, "proto");
const SEED_ARTICLE = path.join(REPOSITORY, "seeds", "000_5cb57f188978d242.txt");
const DEADLINE_SECONDS = 120;
const USAGE = "usage: node translate.js [FILE|-] [--server HOST:PORT] [--glossary NAME]... [--help]";

class UsageError extends Error {}

function parseArguments(argv) {
  const options = { file: SEED_ARTICLE, server: process.env.TARJAMA_SERVER || "localhost:50051", glossaries: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === "--help" || argument === "-h") {
      options.help = true;
    } else if (argument === "--server" || argument === "--glossary") {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) {
        throw new UsageError(`${argument} needs a value: ${USAGE}`);
      }
      if (argument === "--server") options.server = value;
      else options.glossaries.push(value);
    } else if (argument.startsWith("--")) {
      throw new UsageError(`unknown option ${argument}: ${USAGE}`);
    } else {
      options.file = argument;
    }
  }
  return options;
}

function loadTranslatorClient(server) {
  const definition = protoLoader.loadSync("tarjama/v1/translator.proto", {
    includeDirs: [PROTO_ROOT],
    keepCase: true, // field names exactly as in the .proto: source_span, term_hits ...
    longs: String, // uint64 glossary versions stay exact
    defaults: true,
    oneofs: true,
  });
  const tarjama = grpc.loadPackageDefinition(definition).tarjama.v1;
  return new tarjama.Translator(server, grpc.credentials.createInsecure());
}

function printPairs(response) {
  console.log(`model ${response.model}, ${response.sentences.length} sentence pairs`);
  response.sentences.forEach((pair, index) => {
    console.log(`\n[${index + 1}] ${pair.source}`);
    console.log(`  → ${pair.target}`);
    // confidence: 0 (check it) to 1; needs_review says a person should look first, and why.
    const review = pair.needs_review
      ? `, needs review: ${pair.review_reasons.map((reason) => reason.code).join(", ")}`
      : "";
    console.log(`    confidence ${pair.confidence.toFixed(2)}${review}`);
    for (const hit of pair.term_hits) {
      const origin = hit.glossary || (hit.method === "document" ? "document" : "inline");
      console.log(`    term ${hit.source_term} → ${hit.target_term} (${origin}, ${hit.method})`);
    }
  });
  // Names the model wrote in more than one way, given one rendering across the document:
  // candidates for a glossary.
  for (const term of response.document_terms || []) {
    const variants = term.variants.map((variant) => `${variant.english} ×${variant.count}`).join(", ");
    console.log(`document term ${term.source_term} → ${term.target_term} (${term.occurrences} places; the model wrote ${variants})`);
  }
}

function main() {
  let options;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    console.error(`translate.js: ${error.message}`);
    return Promise.resolve(2);
  }
  if (options.help) {
    console.log(USAGE);
    console.log("Translates an Arabic article with a tarjama server and prints its sentence pairs.");
    return Promise.resolve(0);
  }
  let text;
  try {
    text = fs.readFileSync(options.file === "-" ? 0 : options.file, "utf8");
  } catch (error) {
    const where = options.file === "-" ? "standard input" : options.file;
    console.error(`translate.js: cannot read ${where}: ${error.code === "ENOENT" ? "no such file" : error.message}`);
    return Promise.resolve(1);
  }
  const client = loadTranslatorClient(options.server);
  const deadline = new Date(Date.now() + DEADLINE_SECONDS * 1000);
  const request = { text, glossaries: options.glossaries, request_id: "node-example" };
  return new Promise((resolve) => {
    client.Translate(request, { deadline }, (error, response) => {
      client.close();
      if (error) {
        // error.code is the gRPC status (14 UNAVAILABLE, 5 NOT_FOUND ...); details is the
        // server's message, which says what to do.
        console.error(`translate.js: ${grpc.status[error.code]}: ${error.details}`);
        resolve(error.code === grpc.status.UNAVAILABLE ? 3 : 1);
        return;
      }
      printPairs(response);
      resolve(0);
    });
  });
}

main().then((code) => {
  process.exitCode = code;
});
